"""The one reader of case tables that the command line and study files share."""

import pandas as pd
import pytest

from radfuse._files import read_case_table


@pytest.fixture
def cohort():
    return pd.DataFrame({"case_id": [7, 12, 40], "age": [51.5, 64.0, 38.25], "label": [0, 1, 1]})


@pytest.mark.parametrize("stored_as", ["csv", "parquet", "parquet index"])
def test_csv_and_parquet_index_the_same_cases_as_text(cohort, tmp_path, stored_as):
    path = tmp_path / f"cohort.{stored_as.split()[0]}"
    if stored_as == "csv":
        cohort.to_csv(path, index=False)
    elif stored_as == "parquet":
        cohort.to_parquet(path, index=False)
    else:
        cohort.set_index("case_id").to_parquet(path)
    table = read_case_table(path, "case_id", source="data.features")
    assert table.index.tolist() == ["7", "12", "40"]
    assert table.index.name == "case_id"
    pd.testing.assert_frame_equal(table.reset_index(drop=True), cohort.drop(columns="case_id"))


def test_csv_ids_keep_their_leading_zeros(tmp_path):
    (tmp_path / "ids.csv").write_text("case_id,x\n007,1.5\n012,2.5\n")
    assert read_case_table(tmp_path / "ids.csv", "case_id", source="s").index.tolist() == ["007", "012"]


def test_without_an_id_column_the_file_is_read_as_it_is(cohort, tmp_path):
    cohort.to_csv(tmp_path / "p.csv", index=False)
    pd.testing.assert_frame_equal(read_case_table(tmp_path / "p.csv", source="s"), cohort)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_missing_id_column_names_the_source_file_columns_and_remedy(cohort, tmp_path, suffix):
    path = tmp_path / f"cohort.{suffix}"
    getattr(cohort, f"to_{suffix}")(path, index=False)
    with pytest.raises(ValueError) as error:
        read_case_table(path, "patient", source="data.labels", remedy="set data.id_column")
    assert str(error.value) == (
        f"data.labels cohort.{suffix}: no id column 'patient' among its columns "
        "['case_id', 'age', 'label']; set data.id_column."
    )


def test_a_missing_file_and_an_unknown_format_name_the_source(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^--features: no file at .*absent\.csv\.$"):
        read_case_table(tmp_path / "absent.csv", source="--features")
    (tmp_path / "table.xlsx").write_bytes(b"")
    with pytest.raises(ValueError, match=r"^--features: cannot read table\.xlsx: use a \.csv or \.parquet file\.$"):
        read_case_table(tmp_path / "table.xlsx", source="--features")
