# Reference for LassoSelector(cv_weights="fold_size"): cv.glmnet's weighted CV error.
# Run from the repository root: Rscript tests/r/lasso_glmnet_cv.R
# (glmnet 4.1-6, Debian's r-cran-glmnet). Input: tests/data/lasso_glmnet_input.csv,
# written by tests/r/lasso_glmnet_input.py. Output: tests/data/lasso_glmnet_cv.csv with,
# per lambda, cv.glmnet's cvm (fold-size-weighted mean MSE), cvsd (its weighted SE),
# nzero, and whether it is lambda.min / lambda.1se.
library(glmnet)
data <- read.csv("tests/data/lasso_glmnet_input.csv")
x <- as.matrix(data[, setdiff(names(data), c("y", "foldid"))])
y <- data$y
n <- nrow(x)
# LassoSelector's default grid: 100 log-spaced values from lambda_max down to 1e-3 lambda_max
lambda_max <- max(abs(crossprod(sweep(x, 2, colMeans(x)), y - mean(y)))) / n
lambda <- exp(seq(log(lambda_max), log(lambda_max * 1e-3), length.out = 100))
fit <- cv.glmnet(x, y, family = "gaussian", lambda = lambda, foldid = data$foldid,
                 standardize = FALSE, thresh = 1e-16, maxit = 1e7, type.measure = "mse")
full <- function(v) sprintf("%.17g", v)  # write.csv keeps only 15 digits
out <- data.frame(lambda = full(fit$lambda), cvm = full(fit$cvm), cvsd = full(fit$cvsd),
                  nzero = fit$nzero,
                  lambda_min = fit$lambda == fit$lambda.min,
                  lambda_1se = fit$lambda == fit$lambda.1se)
write.csv(out, "tests/data/lasso_glmnet_cv.csv", row.names = FALSE)
cat(sprintf("lambda.min = %.10g, lambda.1se = %.10g\n", fit$lambda.min, fit$lambda.1se))
