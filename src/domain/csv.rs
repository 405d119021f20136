//! CSV as RFC 4180 writes it, with cells that a spreadsheet would run as formulas
//! neutralized (R31).

/// A CSV document, built row by row; lines end with CRLF.
#[derive(Debug, Default)]
pub struct Csv {
    out: String,
    row_started: bool,
}

impl Csv {
    pub fn new() -> Self {
        Self::default()
    }

    /// A cell of text: quoted when it holds a comma, quote or line break, and prefixed
    /// with `'` when it starts like a formula (`= + - @`, tab, carriage return or NUL).
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        let formula = value
            .chars()
            .next()
            .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r' | '\0'));
        let value = if formula {
            format!("'{value}")
        } else {
            value.to_owned()
        };
        if value.contains([',', '"', '\r', '\n']) {
            self.out.push('"');
            self.out.push_str(&value.replace('"', "\"\""));
            self.out.push('"');
        } else {
            self.out.push_str(&value);
        }
        self
    }

    /// A number, written as it is (a negative number is data, not a formula).
    pub fn number(&mut self, value: impl std::fmt::Display) -> &mut Self {
        self.separate();
        self.out.push_str(&value.to_string());
        self
    }

    pub fn end_row(&mut self) -> &mut Self {
        self.out.push_str("\r\n");
        self.row_started = false;
        self
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn separate(&mut self) {
        if self.row_started {
            self.out.push(',');
        }
        self.row_started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_end_with_crlf_and_special_cells_are_quoted() {
        let mut csv = Csv::new();
        csv.text("Project").text("Cost").end_row();
        csv.text("a, b")
            .text("say \"hi\"")
            .text("two\nlines")
            .number(-3)
            .end_row();
        assert_eq!(
            csv.finish(),
            "Project,Cost\r\n\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",-3\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralized() {
        for (cell, written) in [
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\0x", "'\0x"),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            let mut csv = Csv::new();
            csv.text(cell);
            assert_eq!(csv.finish(), written, "{cell:?}");
        }
        let mut csv = Csv::new();
        csv.text("\rx");
        assert_eq!(csv.finish(), "\"'\rx\"");
    }
}
