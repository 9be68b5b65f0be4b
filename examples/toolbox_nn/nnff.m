function nn = nnff(nn, x, y)
%NNFF  feed-forward pass of the network nn (a struct, as nnsetup makes it)
%   nn = nnff(nn, x, y) fills in the activations nn.a{1..n} (each with a bias column
%   in front, but the output layer's), the error nn.e = y - output and the loss nn.L.
%
%   nn.n      number of layers, input and output included
%   nn.W{i}   weights from layer i to layer i + 1, size(i + 1) x (size(i) + 1); column 1 is the bias
%   x         m x size(1) inputs, one example a row;  y  m x size(n) targets

    n = nn.n;
    m = size(x, 1);

    x = [ones(m, 1) x];
    nn.a{1} = x;

    % hidden layers: sigmoid units, then the bias unit in front
    for i = 2 : n - 1
        nn.a{i} = sigm(nn.a{i - 1} * nn.W{i - 1}');
        nn.a{i} = [ones(m, 1) nn.a{i}];
    end
    % output layer: sigmoid units, no bias
    nn.a{n} = sigm(nn.a{n - 1} * nn.W{n - 1}');

    % error and half the mean squared error
    nn.e = y - nn.a{n};
    nn.L = 1 / 2 * sum(sum(nn.e .^ 2)) / m;
end
