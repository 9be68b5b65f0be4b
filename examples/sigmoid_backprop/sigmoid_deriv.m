function d = sigmoid_deriv(x)
% SIGMOID_DERIV  Derivative of the logistic function, as upstream's sigmoid(x) .* (1 - sigmoid(x)).
  d = sigmoid(x) .* (1 - sigmoid(x));
end
