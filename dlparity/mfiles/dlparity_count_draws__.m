function dlparity_count_draws__ (which, n)
% DLPARITY_COUNT_DRAWS__  Add n draws to the count of uniforms (which = 1) or normals (which = 2).
  global dlparity_draws__
  if isempty (dlparity_draws__)
    dlparity_draws__ = [0 0];
  end
  dlparity_draws__(which) = dlparity_draws__(which) + n;
end
