function out = train_sgd(form, X, y, x_valid, y_valid, W1, b1, W2, b2, W3, b3, ...
                         learning_rate, num_epochs, batch_size, perms, keep_history, progress)
% TRAIN_SGD  The upstream training loop: minibatch SGD running one of the document's blocks per minibatch.
%   out = train_sgd(form, X, y, x_valid, y_valid, W1, b1, W2, b2, W3, b3, ...
%                   learning_rate, num_epochs, batch_size, perms, keep_history, progress)
%
%   Our driver, with the loop of the upstream scripts (kapshaul/DeepLearning, MIT:
%   Math/Backpropagation.m and Math/Gradient.m): for each epoch, for each minibatch in order
%   (the last one may be short), run the block, then plain SGD on all six parameters; after
%   each epoch, optionally reorder the rows, then the validation loss. Nothing here is random:
%   the initial parameters and the permutations come from the caller (python_impl/training.py).
%
%   form           'backprop' runs backprop.m (section 1.3, verbatim; upstream Backpropagation.m);
%                  'manual' runs our gradient_forward.m, then manual_gradients.m (section 1.2,
%                  verbatim; upstream Gradient.m).
%   X, y           N-by-d training inputs (one sample per row), N-by-1 targets.
%   x_valid        Nv-by-d validation inputs (upstream's name).   y_valid  Nv-by-1 targets.
%   W1 h1-by-d, b1 h1-by-1, W2 h2-by-h1, b2 h2-by-1, W3 1-by-h2, b3 1-by-1: initial parameters.
%   learning_rate  step size.   num_epochs  epochs E.   batch_size  rows per minibatch.
%   perms          [] for in-order epochs, or E-by-N: row e (1-based indices, like randperm) is
%                  applied to the current rows after epoch e, as Gradient.m reshuffles.
%   keep_history   true to also return the parameters after every epoch.
%   progress       true to print 'dlparity-epoch <e>' after each epoch (read by the Python
%                  caller to draw its progress bar; the numbers are unaffected).
%
%   out.loss_train  1-by-E: mean over the epoch's N samples of error.^2, each computed by the
%                   block with the parameters of its own step (before that step's update).
%   out.loss_valid  1-by-E: sum((y_valid' - y_pred).^2) / size(y_valid, 1) after the epoch,
%                   upstream's validation loss (upstream prints it every 10 epochs).
%   out.W1 ... out.b3  final parameters.
%   out.W1_hist ... out.b3_hist  (keep_history only) size(W)-by-E, parameters after each epoch.
%
%   Inputs are checked by the Python caller (python_impl/training.py) before they get here.
%   The blocks assign a variable named `error`, which hides the function error() for the rest
%   of this workspace: every check is therefore made before the loop.
  if ~(ischar(form) && any(strcmp(form, {'backprop', 'manual'})))
    error('dlparity:form', 'train_sgd: form must be ''backprop'' or ''manual''');
  end
  shuffle = ~isempty(perms);
  loss_train = zeros(1, num_epochs);
  loss_valid = zeros(1, num_epochs);
  if keep_history
    W1_hist = zeros([size(W1), num_epochs]);  b1_hist = zeros([size(b1), num_epochs]);
    W2_hist = zeros([size(W2), num_epochs]);  b2_hist = zeros([size(b2), num_epochs]);
    W3_hist = zeros([size(W3), num_epochs]);  b3_hist = zeros([size(b3), num_epochs]);
  end
  use_backprop = strcmp(form, 'backprop');

  for epoch = 1:num_epochs

    for i = 1:batch_size:size(X, 1)
      batch_end = min(i + batch_size - 1, size(X, 1));

      if use_backprop
        backprop;
      else
        gradient_forward;  % our forward lines, as upstream Math/Gradient.m: x, y_true, y_pred, error
        manual_gradients;
      end

      % Training loss, ours: squared errors of this minibatch, before its update
      loss_train(epoch) = loss_train(epoch) + sum(error .^ 2);

      % Update weights and biases
      W3 = W3 - learning_rate * dW3;
      b3 = b3 - learning_rate * db3;

      W2 = W2 - learning_rate * dW2;
      b2 = b2 - learning_rate * db2;

      W1 = W1 - learning_rate * dW1;
      b1 = b1 - learning_rate * db1;
    end
    loss_train(epoch) = loss_train(epoch) / size(X, 1);

    % Shuffle data (Gradient.m draws randperm here; our permutation comes from the caller)
    if shuffle
      perm = perms(epoch, :);
      X = X(perm, :);
      y = y(perm);
    end

    % Validation loss, every epoch (upstream computes it every 10th)
    y_pred = W3 * ReLU(W2 * ReLU(W1 * x_valid' + b1) + b2) + b3;
    loss_valid(epoch) = sum((y_valid' - y_pred) .^ 2) / size(y_valid, 1);

    if keep_history
      W1_hist(:, :, epoch) = W1;  b1_hist(:, :, epoch) = b1;
      W2_hist(:, :, epoch) = W2;  b2_hist(:, :, epoch) = b2;
      W3_hist(:, :, epoch) = W3;  b3_hist(:, :, epoch) = b3;
    end
    if progress
      fprintf('dlparity-epoch %d\n', epoch);
      if exist('OCTAVE_VERSION', 'builtin')
        fflush(stdout);  % Octave buffers stdout; MATLAB has no fflush(stdout)
      end
    end
  end

  out = struct('loss_train', {loss_train}, 'loss_valid', {loss_valid}, ...
               'W1', {W1}, 'b1', {b1}, 'W2', {W2}, 'b2', {b2}, 'W3', {W3}, 'b3', {b3});
  if keep_history
    out.W1_hist = W1_hist;  out.b1_hist = b1_hist;
    out.W2_hist = W2_hist;  out.b2_hist = b2_hist;
    out.W3_hist = W3_hist;  out.b3_hist = b3_hist;
  end
end
