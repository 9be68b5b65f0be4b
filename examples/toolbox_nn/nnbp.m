function nn = nnbp(nn)
%NNBP  back-propagation through the network nn after nnff
%   nn = nnbp(nn) fills in the weight gradients nn.dW{i} = dL/dW{i}, each the size of nn.W{i},
%   from the activations nn.a and the error nn.e that nnff left in nn.

    n = nn.n;
    m = size(nn.e, 1);

    % the deltas: d{i} is dL/d(input of layer i's units), m x size(i)
    d = cell(1, n);
    d{n} = -nn.e .* (nn.a{n} .* (1 - nn.a{n}));
    for i = (n - 1) : -1 : 2
        d{i} = (d{i + 1} * nn.W{i}) .* (nn.a{i} .* (1 - nn.a{i}));
        d{i} = d{i}(:, 2 : end);  % the bias unit takes no input: drop its column
    end

    for i = 1 : (n - 1)
        nn.dW{i} = (d{i + 1}' * nn.a{i}) / m;
    end
end
