function X = sigm(P)
%SIGM  the logistic sigmoid, elementwise
    X = 1 ./ (1 + exp(-P));
end
