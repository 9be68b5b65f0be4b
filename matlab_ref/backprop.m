% Section 1.3 of the derivation, "Backpropagation": the forward pass and the
% layer-by-layer backward pass, verbatim from the document (byte for byte below this header).
% A script: it runs in the caller's workspace and needs X, y, i, batch_end, batch_size,
% W1 b1 W2 b2 W3 b3 there (see run_block.m). Do not edit below this header.

% Forward pass
x = X(i:batch_end, :)';
y_true = y(i:batch_end)';

z1 = W1 * x + b1;
a1 = ReLU(z1);

z2 = W2 * a1 + b2;
a2 = ReLU(z2);

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
delta2 = (W3' * delta3) .* ReLU_deriv(z2);

% Gradients for W2 and b2
dW2 = delta2 * a1';
db2 = sum(delta2, 2);

% Backpropagate to first hidden layer
delta1 = (W2' * delta2) .* ReLU_deriv(z1);

% Gradients for W1 and b1
dW1 = delta1 * x';
db1 = sum(delta1, 2);
