# Reference outputs of R's mcnemar.test for tests/test_stats_diagnostic.py.
# Run from the repository root: Rscript tests/r/mcnemar.R
# Each table is [[both correct, only A correct], [only B correct, both wrong]];
# R applies the continuity correction only when b != c.
tables <- list(
  c(a = 30, b = 7, c = 7, d = 6),
  c(a = 30, b = 7, c = 3, d = 6),
  c(a = 10, b = 0, c = 5, d = 2),
  c(a = 50, b = 12, c = 11, d = 9),
  c(a = 20, b = 1, c = 1, d = 4),
  c(a = 5, b = 25, c = 9, d = 1)
)
rows <- list()
for (t in tables) {
  x <- matrix(c(t["a"], t["c"], t["b"], t["d"]), nrow = 2)  # column-major: x[1,2] = b, x[2,1] = c
  for (correct in c(TRUE, FALSE)) {
    r <- mcnemar.test(x, correct = correct)
    rows[[length(rows) + 1]] <- data.frame(
      both_correct = t["a"], only_a_correct = t["b"], only_b_correct = t["c"], both_wrong = t["d"],
      correct = correct, statistic = unname(r$statistic), pvalue = r$p.value
    )
  }
}
out <- do.call(rbind, rows)
write.csv(out, "tests/data/r_mcnemar.csv", row.names = FALSE)
cat(R.version.string, "\n")
