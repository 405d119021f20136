//! CSV rows as RFC 4180 writes them, with spreadsheet formulas neutralized (R31).

/// Appends one record: cells separated by commas, quoted when they hold a comma, a
/// quote or a line break, ended by CRLF. A cell that a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, tab, CR or NUL) gets a leading `'`.
pub fn push_record<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell);
    }
    out.push_str("\r\n");
}

fn push_cell(out: &mut String, cell: &str) {
    let neutralize = cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']);
    let quote = cell.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if neutralize {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cells: &[&str]) -> String {
        let mut out = String::new();
        push_record(&mut out, cells.iter().copied());
        out
    }

    #[test]
    fn plain_cells_stay_plain() {
        assert_eq!(record(&["a", "b c", ""]), "a,b c,\r\n");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(
            record(&["a,b", "say \"hi\"", "two\nlines", "cr\r"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\r\n"
        );
    }

    #[test]
    fn formula_starts_are_neutralized() {
        assert_eq!(
            record(&["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\0x", "a=b"]),
            "'=1+1,'+1,'-1,'@SUM(A1),'\tx,'\0x,a=b\r\n"
        );
        assert_eq!(
            record(&["=HYPERLINK(\"http://x\",\"y\")"]),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"
        );
        assert_eq!(record(&["\r=x"]), "\"'\r=x\"\r\n");
    }
}
