function [J, grad] = nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda)
%NNCOSTFUNCTION Implements the neural network cost function for a two layer
%neural network which performs classification
%   [J grad] = NNCOSTFUNCTON(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda)
%   computes the cost and gradient of the neural network. The parameters for the neural network
%   are "unrolled" into the vector nn_params and need to be converted back into the weight
%   matrices. The returned parameter grad is an "unrolled" vector of the partial derivatives.
%   y holds labels in 1..num_labels. Written in the style of the usual machine-learning course
%   exercise (backpropagation one example at a time); part of dlparity's coverage corpus.

% Reshape nn_params back into the parameters Theta1 and Theta2
Theta1 = reshape(nn_params(1:hidden_layer_size * (input_layer_size + 1)), ...
                 hidden_layer_size, (input_layer_size + 1));

Theta2 = reshape(nn_params((1 + (hidden_layer_size * (input_layer_size + 1))):end), ...
                 num_labels, (hidden_layer_size + 1));

% Setup some useful variables
m = size(X, 1);

J = 0;
Theta1_grad = zeros(size(Theta1));
Theta2_grad = zeros(size(Theta2));

% Part 1: feedforward and cost
a1 = [ones(m, 1) X];
z2 = a1 * Theta1';
a2 = [ones(m, 1) sigmoid(z2)];
z3 = a2 * Theta2';
a3 = sigmoid(z3);

Y = zeros(m, num_labels);
for i = 1:m
  Y(i, y(i)) = 1;
end

J = (1 / m) * sum(sum(-Y .* log(a3) - (1 - Y) .* log(1 - a3)));
J = J + (lambda / (2 * m)) * (sum(sum(Theta1(:, 2:end) .^ 2)) + sum(sum(Theta2(:, 2:end) .^ 2)));

% Part 2: backpropagation, one example at a time
D1 = zeros(size(Theta1));
D2 = zeros(size(Theta2));
for t = 1:m
  a1t = a1(t, :)';
  a2t = a2(t, :)';
  a3t = a3(t, :)';
  yt = Y(t, :)';
  d3 = a3t - yt;
  d2 = (Theta2' * d3) .* (a2t .* (1 - a2t));
  d2 = d2(2:end);
  D2 = D2 + d3 * a2t';
  D1 = D1 + d2 * a1t';
end

% Part 3: regularization (not of the bias columns)
Theta1_grad = D1 / m;
Theta2_grad = D2 / m;
Theta1_grad(:, 2:end) = Theta1_grad(:, 2:end) + lambda / m * Theta1(:, 2:end);
Theta2_grad(:, 2:end) = Theta2_grad(:, 2:end) + lambda / m * Theta2(:, 2:end);

% Unroll gradients
grad = [Theta1_grad(:) ; Theta2_grad(:)];

end

function g = sigmoid(z)
%SIGMOID Compute sigmoid function
g = 1.0 ./ (1.0 + exp(-z));
end
