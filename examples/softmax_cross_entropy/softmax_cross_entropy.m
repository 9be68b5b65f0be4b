function [p, loss, dz] = softmax_cross_entropy(z, Y)
% SOFTMAX_CROSS_ENTROPY  Softmax of each column, the mean cross-entropy, and its gradient in z.
%   [p, loss, dz] = softmax_cross_entropy(z, Y)
%   z   K-by-B scores, one column per sample;   Y   K-by-B one-hot targets.
%   p   K-by-B probabilities;  loss  1-by-1 mean cross-entropy;  dz  K-by-B gradient of loss in z.
%   An example pair for dlparity (a function file with reductions and exp/log), ours.

  % Softmax, shifted by each column's maximum so exp cannot overflow
  m = max(z, [], 1);
  e = exp(z - m);
  s = sum(e, 1);
  p = e ./ s;

  % Mean cross-entropy over the batch
  B = size(z, 2);
  loss = -sum(sum(Y .* log(p))) / B;

  % Gradient of the mean cross-entropy with respect to z
  dz = (p - Y) / B;
end
