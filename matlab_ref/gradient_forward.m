% GRADIENT_FORWARD  Our forward lines for the section 1.2 block, as upstream Math/Gradient.m computes
% them before it: the minibatch, the prediction and the error that manual_gradients.m reads.
% A script, like the blocks: it runs in the caller's workspace (run_block.m, train_sgd.m) and needs
% X, y, i, batch_end, W1 b1 W2 b2 W3 b3 there. Upstream writes error = y_true - y_pred and adds
% the step; we keep the document's sign (section 1.3's error = y_pred - y_true) and subtract,
% which gives bit-identical parameters: negation is exact.
x = X(i:batch_end, :)';
y_true = y(i:batch_end)';
y_pred = W3 * ReLU(W2 * ReLU(W1 * x + b1) + b2) + b3;
error = y_pred - y_true;
