function counts = dlparity_draw_counts ()
% DLPARITY_DRAW_COUNTS  [uniforms normals] drawn since the last dlparity_seed_case, as the shims counted them.
  global dlparity_draws__
  if isempty (dlparity_draws__)
    counts = [0 0];
  else
    counts = dlparity_draws__;
  end
end
