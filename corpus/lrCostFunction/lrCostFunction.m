function [J, grad] = lrCostFunction(theta, X, y, lambda)
%LRCOSTFUNCTION Compute cost and gradient for logistic regression with regularization
%   J = LRCOSTFUNCTION(theta, X, y, lambda) computes the cost of using theta as the parameter
%   for regularized logistic regression and the gradient of the cost w.r.t. the parameters.
%   X is m-by-n (a first column of ones), y m-by-1 labels in {0, 1}, theta n-by-1.
%   The bias theta(1) is not regularized. Written in the style of the usual machine-learning
%   course exercise; part of dlparity's coverage corpus.

% Initialize some useful values
m = length(y); % number of training examples

J = 0;
grad = zeros(size(theta));

h = sigmoid(X * theta);
J = (1 / m) * (-y' * log(h) - (1 - y)' * log(1 - h)) + (lambda / (2 * m)) * sum(theta(2:end) .^ 2);

grad = (1 / m) * X' * (h - y);
temp = theta;
temp(1) = 0;   % because we don't add anything for j = 0
grad = grad + (lambda / m) * temp;

grad = grad(:);

end

function g = sigmoid(z)
%SIGMOID Compute sigmoid function
g = 1.0 ./ (1.0 + exp(-z));
end
