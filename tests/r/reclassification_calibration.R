# Reference outputs of Hmisc::improveProb (NRI, IDI and their standard errors) and of
# the Hosmer-Lemeshow test, for tests/test_stats_reclassification.py and
# tests/test_stats_calibration.py.
# Run from the repository root: Rscript tests/r/reclassification_calibration.R
suppressMessages(library(Hmisc))

# write.csv keeps 15 significant digits; 17 round-trip a double exactly.
write_exact <- function(frame, path) {
  frame[] <- lapply(frame, function(x) if (is.double(x)) sprintf("%.17g", x) else x)
  write.csv(frame, path, row.names = FALSE, quote = FALSE)
}

# Risks of a poor outcome in pROC's aSAH data: old model age, new model age + WFNS + S100B.
asah <- read.csv("tests/data/aSAH.csv")
asah$y <- as.integer(asah$outcome == "Poor")
p_old <- unname(fitted(glm(y ~ age, family = binomial, data = asah, control = list(epsilon = 1e-14, maxit = 100))))
p_new <- unname(fitted(glm(y ~ age + wfns + s100b, family = binomial, data = asah,
                           control = list(epsilon = 1e-14, maxit = 100))))
write_exact(data.frame(y = asah$y, p_new = p_new, p_old = p_old), "tests/data/r_asah_risks.csv")

# improveProb(x1 = old, x2 = new) uses only the sign of x2 - x1 for the NRI, so the
# categorical NRI is improveProb of the risk categories: the number of cut-offs at or
# below each risk (findInterval), as radfuse's nri(cutoffs=...), divided by the number of
# cut-offs because improveProb checks that its inputs lie in [0, 1].
cutoff_sets <- list("none" = NULL, "0.2" = 0.2, "0.1;0.3;0.6" = c(0.1, 0.3, 0.6))
rows <- list()
for (label in names(cutoff_sets)) {
  cutoffs <- cutoff_sets[[label]]
  if (is.null(cutoffs)) {
    x1 <- p_old; x2 <- p_new
  } else {
    x1 <- findInterval(p_old, cutoffs) / length(cutoffs)
    x2 <- findInterval(p_new, cutoffs) / length(cutoffs)
  }
  r <- improveProb(x1 = x1, x2 = x2, y = asah$y)
  idi <- improveProb(x1 = p_old, x2 = p_new, y = asah$y)
  rows[[label]] <- data.frame(
    cutoffs = label, nri = r$nri, se_nri = r$se.nri, z_nri = r$z.nri,
    nri_ev = r$nri.ev, se_nri_ev = r$se.nri.ev, nri_ne = r$nri.ne, se_nri_ne = r$se.nri.ne,
    pup_ev = r$pup.ev, pdown_ev = r$pdown.ev, pup_ne = r$pup.ne, pdown_ne = r$pdown.ne,
    idi = idi$idi, se_idi = idi$se.idi, z_idi = idi$z.idi
  )
}
write_exact(do.call(rbind, rows), "tests/data/hmisc_improveprob.csv")

# Hosmer-Lemeshow test, grouped as ResourceSelection::hoslem.test (0.3-6), whose body this is
# (ResourceSelection is not packaged for Debian): type-7 quantile breaks made unique, intervals
# closed on the right with the lowest one closed on both sides.
hoslem <- function(y, yhat, g) {
  qq <- unique(quantile(yhat, probs = seq(0, 1, 1 / g)))
  cutyhat <- cut(yhat, breaks = qq, include.lowest = TRUE)
  observed <- xtabs(cbind(y0 = 1 - y, y1 = y) ~ cutyhat)
  expected <- xtabs(cbind(yhat0 = 1 - yhat, yhat1 = yhat) ~ cutyhat)
  chisq <- sum((observed - expected)^2 / expected)
  df <- nrow(observed) - 2
  c(statistic = chisq, df = df, pvalue = 1 - pchisq(chisq, df))
}

set.seed(2024)
linear <- rnorm(400, -0.5, 1.2)
sim <- data.frame(y = rbinom(400, 1, plogis(0.3 + 0.7 * linear)), p = plogis(linear))
# Rounded predictions give tied quantile breaks (fewer groups than asked).
sim$p_round2 <- pmin(pmax(round(sim$p, 2), 0.005), 0.995)
sim$p_round1 <- pmin(pmax(round(sim$p, 1), 0.005), 0.995)
write_exact(sim, "tests/data/r_hosmer_lemeshow_input.csv")
rows <- list()
for (column in c("p", "p_round2", "p_round1")) {
  for (g in c(5, 10, 12)) {
    h <- hoslem(sim$y, sim[[column]], g)
    rows[[length(rows) + 1]] <- data.frame(
      prediction = column, g = g, statistic = h[["statistic"]], df = h[["df"]],
      pvalue = h[["pvalue"]]
    )
  }
}
write_exact(do.call(rbind, rows), "tests/data/r_hosmer_lemeshow.csv")
cat(R.version.string, "Hmisc", as.character(packageVersion("Hmisc")), "\n")
