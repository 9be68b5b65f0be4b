function a = sigmoid(x)
% SIGMOID  The logistic function, elementwise, as upstream's sigmoid = @(x) 1 ./ (1 + exp(-x)).
  a = 1 ./ (1 + exp(-x));
end
