% Section 1.3's backpropagation with upstream's sigmoid activation in place of ReLU
% (kapshaul/DeepLearning, Math/Backpropagation.m defines sigmoid and sigmoid_deriv beside ReLU).
% An example pair for dlparity, ours: the document's own backprop.m stays untouched.
% A script: it runs in a workspace holding X, y, i, batch_end, batch_size, W1 b1 W2 b2 W3 b3.

% Forward pass
x = X(i:batch_end, :)';
y_true = y(i:batch_end)';

z1 = W1 * x + b1;
a1 = sigmoid(z1);

z2 = W2 * a1 + b2;
a2 = sigmoid(z2);

z3 = W3 * a2 + b3;
y_pred = z3;

% Compute loss
error =  y_pred - y_true;

% Compute for backpropagation
delta3 = 2/batch_size * (error);

% Gradients for W3 and b3
dW3 = delta3 * a2';
db3 = sum(delta3, 2);

% Backpropagate to second hidden layer
delta2 = (W3' * delta3) .* sigmoid_deriv(z2);

% Gradients for W2 and b2
dW2 = delta2 * a1';
db2 = sum(delta2, 2);

% Backpropagate to first hidden layer
delta1 = (W2' * delta2) .* sigmoid_deriv(z1);

% Gradients for W1 and b1
dW1 = delta1 * x';
db1 = sum(delta1, 2);
