# Reference outputs of R's rms (lrm, validate, calibrate, nomogram) for
# tests/test_stats_logistic.py and tests/test_stats_validation.py.
#
# Run from the repository root:  Rscript tests/r/rms_reference.R
# Written with R 4.x and rms 6.5.0 (Debian r-cran-rms); outputs go to tests/data/rms_*.csv.
#
# rms 6.5.0's lrm.fit stops Newton-Raphson when -2 log L changes by less than
# eps = 0.025, which leaves coefficients a few 1e-6 (relative) short of the
# maximum-likelihood optimum, and validate() refits at most maxit = 12 times.
# So that the references are the ML answer itself, lrm.fit's defaults are
# tightened here to eps = 1e-10 and maxit = 100 (the Newton-Raphson algorithm
# itself is unchanged), and validate/calibrate get maxit = 100.
suppressMessages(library(rms))
ns <- asNamespace("rms")
tight_fit <- get("lrm.fit", envir = ns)
formals(tight_fit)$eps <- 1e-10
formals(tight_fit)$maxit <- 100
assignInNamespace("lrm.fit", tight_fit, ns = "rms")

out <- "tests/data"
write <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE)
dump_numbers <- function(x) format(x, digits = 17)

# ---- data -----------------------------------------------------------------
set.seed(20261129)
n <- 250
rad_score <- round(rnorm(n), 6)
age <- round(rnorm(n, 60, 10), 1)
grade <- factor(sample(c("G1", "G2", "G3"), n, replace = TRUE, prob = c(.4, .35, .25)))
y <- rbinom(n, 1, plogis(-1.2 + 1.1 * rad_score + 0.03 * (age - 60) +
                         0.6 * (grade == "G2") + 1.1 * (grade == "G3")))
clinical <- data.frame(y, rad_score, age, grade)
write(clinical, "rms_clinical.csv")

# Near separation: a score that almost separates the outcome (a handful of
# overlapping cases), plus a noise covariate. The MLE exists but is large.
set.seed(7)
m <- 120
score <- round(rnorm(m), 6)
noise <- round(rnorm(m), 6)
ys <- as.integer(score + rnorm(m, sd = 0.15) > 0)
separation <- data.frame(y = ys, score, noise)
write(separation, "rms_separation.csv")

# ---- lrm ------------------------------------------------------------------
lrm_table <- function(f) {
  b <- coef(f); se <- sqrt(diag(vcov(f)))
  data.frame(term = names(b), coef = dump_numbers(b), se = dump_numbers(se),
             z = dump_numbers(b / se), pvalue = dump_numbers(2 * pnorm(-abs(b / se))))
}
lrm_stats <- function(f) {
  s <- f$stats
  data.frame(name = c("lr_chi2", "df", "pvalue", "deviance_null", "deviance", "R2", "C", "Brier"),
             value = dump_numbers(c(s["Model L.R."], s["d.f."], s["P"], f$deviance[1],
                                    f$deviance[2], s["R2"], s["C"], s["Brier"])))
}

fit <- lrm(y ~ rad_score + age + grade, data = clinical, x = TRUE, y = TRUE)
write(lrm_table(fit), "rms_lrm_clinical.csv")
write(lrm_stats(fit), "rms_lrm_clinical_stats.csv")

fit_sep <- lrm(y ~ score + noise, data = separation, x = TRUE, y = TRUE)
write(lrm_table(fit_sep), "rms_lrm_separation.csv")
write(lrm_stats(fit_sep), "rms_lrm_separation_stats.csv")

# ---- validate with saved resamples ----------------------------------------
# predab.resample draws train <- sample(n, replace = TRUE) once per resample
# and nothing else from the RNG, so the same seed reproduces its indices.
resamples <- function(seed, B, n) {
  set.seed(seed)
  t(sapply(seq_len(B), function(i) sample(n, replace = TRUE)))
}
validate_table <- function(v) {
  data.frame(index = rownames(v), apparent = dump_numbers(v[, "index.orig"]),
             training = dump_numbers(v[, "training"]), test = dump_numbers(v[, "test"]),
             optimism = dump_numbers(v[, "optimism"]),
             corrected = dump_numbers(v[, "index.corrected"]), n = v[, "n"])
}

B <- 200
idx <- resamples(1, B, n)
write(idx, "rms_resamples_clinical.csv")
set.seed(1)
write(validate_table(validate(fit, B = B, maxit = 100)), "rms_validate_clinical.csv")

B_sep <- 100
idx_sep <- resamples(2, B_sep, m)
write(idx_sep, "rms_resamples_separation.csv")
set.seed(2)
write(validate_table(validate(fit_sep, B = B_sep, maxit = 100)), "rms_validate_separation.csv")

# ---- calibrate with the same resamples (same seed as validate) ------------
calibrate_table <- function(cal) {
  err <- local({
    predicted <- attr(cal, "predicted")
    s <- !is.na(cal[, "predy"] + cal[, "calibrated.corrected"])
    predicted - approx(cal[s, "predy"], cal[s, "calibrated.corrected"], xout = predicted,
                       ties = mean)$y
  })
  list(
    table = data.frame(predicted = dump_numbers(cal[, "predy"]),
                       apparent = dump_numbers(cal[, "calibrated.orig"]),
                       corrected = dump_numbers(cal[, "calibrated.corrected"]),
                       apparent_error = dump_numbers(cal[, "index.orig"]),
                       training = dump_numbers(cal[, "training"]),
                       test = dump_numbers(cal[, "test"]),
                       optimism = dump_numbers(cal[, "optimism"]), n = cal[, "n"]),
    errors = data.frame(name = c("mean_absolute_error", "mean_squared_error",
                                 "quantile90_absolute_error"),
                        value = dump_numbers(c(mean(abs(err), na.rm = TRUE),
                                               mean(err^2, na.rm = TRUE),
                                               quantile(abs(err), 0.9, na.rm = TRUE))))
  )
}
set.seed(1)
cal <- calibrate_table(calibrate(fit, B = B))
write(cal$table, "rms_calibrate_clinical.csv")
write(cal$errors, "rms_calibrate_clinical_errors.csv")
set.seed(2)
cal_sep <- calibrate_table(calibrate(fit_sep, B = B_sep))
write(cal_sep$table, "rms_calibrate_separation.csv")
write(cal_sep$errors, "rms_calibrate_separation_errors.csv")

# ---- nomogram: points per predictor value, and the total-points scales ----
dd <- datadist(clinical); options(datadist = "dd")
fit_nom <- lrm(y ~ rad_score + age + grade, data = clinical)
nom <- nomogram(fit_nom, rad_score = c(-2, -1, 0, 1, 2, 3), age = c(30, 40, 50, 60, 70, 80, 90),
                fun = plogis, fun.at = c(.1, .25, .5, .75, .9), funlabel = "Risk", lp = TRUE,
                maxscale = 100)
points_rows <- do.call(rbind, lapply(c("rad_score", "age", "grade"), function(v)
  data.frame(predictor = v, value = as.character(nom[[v]][[v]]),
             linear_predictor = dump_numbers(nom[[v]]$Xbeta),
             points = dump_numbers(nom[[v]]$points))))
write(points_rows, "rms_nomogram_points.csv")
write(rbind(data.frame(axis = "lp", value = nom$lp$x.real, points = dump_numbers(nom$lp$x)),
            data.frame(axis = "probability", value = nom$Risk$x.real,
                       points = dump_numbers(nom$Risk$x))),
      "rms_nomogram_axes.csv")
write(data.frame(name = c("points_per_unit", "intercept"),
                 value = dump_numbers(c(attr(nom, "info")$sc, attr(nom, "info")$Intercept))),
      "rms_nomogram_scale.csv")
