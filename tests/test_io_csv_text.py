"""read_table reads a CSV's cells as text exactly as ``pandas.read_csv(dtype=str)`` does, though it lets pandas
find the text columns itself (faster) and reads only the others again as text."""

import io

import pandas as pd
import pytest

from cscs_eval.io import read_table

CASES = {
    "text with an empty cell": "a,b\nx,y\n,z\n",
    "numbers with leading zeros and decimals": "id,score,name\n007,1.50,Ann\n8,,Bob\n",
    "true and false": "a,flag\nx,True\ny,False\n",
    "a column of numbers and text": "a,b\n1,x\n2,007\n",
    "an empty column": "a,b,c\n1,,x\n2,,y\n",
    "only numbers": "a,b\n1,2\n3,4\n",
    "words pandas would call missing": "a,b\nNA,null\nN/A,nan\n",
    "quoted cells": 'a,b\n"1,5",""\n" x ",y\n',
    "dates": "d,t\n2024-01-02,x\n05/03/2024,y\n",
    "spaces around cells": "a,b\n 1 , x \n2,y\n",
    "Windows line ends": "a,b\r\n1,x\r\n2,y\r\n",
}


@pytest.mark.parametrize("case", list(CASES))
def test_cells_read_as_text_as_pandas_reads_them_with_dtype_str(case, tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(CASES[case].encode())
    expected = pd.read_csv(io.StringIO(CASES[case]), dtype=str, keep_default_na=False, na_values=[""])
    got = read_table(path)
    assert list(got.columns) == [c.lower() for c in expected.columns]
    pd.testing.assert_frame_equal(got, expected.set_axis(got.columns, axis=1))
