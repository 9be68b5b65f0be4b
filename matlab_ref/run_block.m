function out = run_block(form, X, y, W1, b1, W2, b2, W3, b3, i, batch_size)
% RUN_BLOCK  Set up the workspace the document's MATLAB expects, run one block, return what it assigns.
%   out = run_block(form, X, y, W1, b1, W2, b2, W3, b3, i, batch_size)
%
%   form        'backprop' runs backprop.m (section 1.3, verbatim);
%               'manual' runs our gradient_forward.m, then manual_gradients.m (section 1.2, verbatim).
%   X           N-by-d inputs, one sample per row.      y   N-by-1 targets.
%   W1 h1-by-d, b1 h1-by-1, W2 h2-by-h1, b2 h2-by-1, W3 1-by-h2, b3 1-by-1.
%   i           1-based first row of the minibatch.      batch_size  rows per minibatch.
%
%   out is a struct with one field per variable assigned after the workspace is set up
%   (by the block, and for 'manual' by our forward lines), in statement order.
%   Inputs are checked by the Python caller (python_impl/validation.py) before they get here.
  if ~(ischar(form) && any(strcmp(form, {'backprop', 'manual'})))
    error('dlparity:form', 'run_block: form must be ''backprop'' or ''manual''');
  end
  batch_end = min(i + batch_size - 1, size(X, 1));  % as upstream: the last minibatch may be short

  if strcmp(form, 'backprop')
    backprop;
  else
    gradient_forward;  % our forward lines, as upstream Math/Gradient.m: x, y_true, y_pred, error
    manual_gradients;
  end

  % Every variable assigned above, in statement order (explicit, because who()/eval cost 0.5 ms a
  % case; parity_tests/test_matlab_ref.py checks these lists against the blocks' assignments).
  if strcmp(form, 'backprop')
    out = struct('x', {x}, 'y_true', {y_true}, 'z1', {z1}, 'a1', {a1}, 'z2', {z2}, 'a2', {a2}, ...
                 'z3', {z3}, 'y_pred', {y_pred}, 'error', {error}, 'delta3', {delta3}, ...
                 'dW3', {dW3}, 'db3', {db3}, 'delta2', {delta2}, 'dW2', {dW2}, 'db2', {db2}, ...
                 'delta1', {delta1}, 'dW1', {dW1}, 'db1', {db1});
  else
    out = struct('x', {x}, 'y_true', {y_true}, 'y_pred', {y_pred}, 'error', {error}, ...
                 'dW3', {dW3}, 'db3', {db3}, 'dW2', {dW2}, 'db2', {db2}, 'dW1', {dW1}, 'db1', {db1});
  end
end
