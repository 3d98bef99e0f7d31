//! A report as a table, and the two files a finance officer opens in Excel: CSV the way
//! a Swedish Excel reads it (semicolons, a BOM, decimal comma) and a real workbook.
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};
use std::borrow::Cow;
use uuid::Uuid;

use crate::error::AppResult;

/// One cell, typed so each file can write it properly.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Id(Option<Uuid>),
    Int(i64),
    /// Öre, written as SEK.
    Money(Option<i64>),
    /// A measure with one decimal (a percentage).
    Number(Option<f64>),
    Date(Option<NaiveDate>),
}

#[derive(Clone, Debug)]
pub struct Table {
    /// The worksheet's name (at most 31 characters).
    pub sheet: &'static str,
    /// The header row: field names for the API's reports, words for the console's
    /// lists (what the person saw).
    pub columns: Vec<Cow<'static, str>>,
    pub rows: Vec<Vec<Cell>>,
}

/// Header names written in the code.
pub fn names(columns: &[&'static str]) -> Vec<Cow<'static, str>> {
    columns.iter().map(|c| Cow::Borrowed(*c)).collect()
}

fn decimal_comma(value: String) -> String {
    value.replace('.', ",")
}

impl Table {
    /// Semicolon-separated UTF-8 with a BOM, amounts with a decimal comma: what Excel in
    /// a Swedish locale opens as columns and numbers.
    pub fn to_csv(&self) -> AppResult<Vec<u8>> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        {
            let mut writer = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(&mut out);
            writer
                .write_record(self.columns.iter().map(AsRef::<str>::as_ref))
                .map_err(anyhow::Error::from)?;
            for row in &self.rows {
                let fields: Vec<String> = row
                    .iter()
                    .map(|cell| match cell {
                        Cell::Text(s) => crate::csv_cells::neutralize(s).into_owned(),
                        Cell::Id(id) => id.map(|i| i.to_string()).unwrap_or_default(),
                        Cell::Int(n) => n.to_string(),
                        Cell::Money(ore) => ore
                            .map(|o| decimal_comma(crate::money::Money(o).to_string()))
                            .unwrap_or_default(),
                        Cell::Number(n) => n
                            .map(|n| decimal_comma(format!("{n:.1}")))
                            .unwrap_or_default(),
                        Cell::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
                    })
                    .collect();
                writer.write_record(&fields).map_err(anyhow::Error::from)?;
            }
            writer.flush().map_err(anyhow::Error::from)?;
        }
        Ok(out)
    }

    /// A workbook: bold, frozen header row, amounts in SEK number format.
    pub fn to_xlsx(&self) -> AppResult<Vec<u8>> {
        let xlsx = |e: rust_xlsxwriter::XlsxError| anyhow::anyhow!("writing the workbook: {e}");
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(self.sheet).map_err(xlsx)?;
        let header = Format::new().set_bold();
        let sek = Format::new().set_num_format("#,##0.00 \"kr\"");
        let one_decimal = Format::new().set_num_format("0.0");
        for (col, name) in self.columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, name.as_ref(), &header)
                .map_err(xlsx)?;
            sheet
                .set_column_width(col as u16, (name.len() + 4).max(14) as f64)
                .map_err(xlsx)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s).map_err(xlsx)?;
                    }
                    Cell::Id(Some(id)) => {
                        sheet.write_string(r, c, id.to_string()).map_err(xlsx)?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(r, c, *n as f64).map_err(xlsx)?;
                    }
                    Cell::Money(Some(ore)) => {
                        sheet
                            .write_number_with_format(r, c, *ore as f64 / 100.0, &sek)
                            .map_err(xlsx)?;
                    }
                    Cell::Number(Some(n)) => {
                        sheet
                            .write_number_with_format(r, c, *n, &one_decimal)
                            .map_err(xlsx)?;
                    }
                    Cell::Date(Some(d)) => {
                        sheet.write_string(r, c, d.to_string()).map_err(xlsx)?;
                    }
                    Cell::Id(None) | Cell::Money(None) | Cell::Number(None) | Cell::Date(None) => {}
                }
            }
        }
        Ok(workbook.save_to_buffer().map_err(xlsx)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_what_swedish_excel_reads() {
        let table = Table {
            sheet: "t",
            columns: names(&["name", "cost", "share"]),
            rows: vec![vec![
                Cell::Text("Avd 5; natt".to_owned()),
                Cell::Money(Some(123_456)),
                Cell::Number(Some(12.25)),
            ]],
        };
        let csv = String::from_utf8(table.to_csv().unwrap()).unwrap();
        assert_eq!(
            csv,
            "\u{feff}name;cost;share\n\"Avd 5; natt\";1234,56;12,2\n"
        );
    }

    #[test]
    fn text_cells_never_reach_excel_as_formulas() {
        let table = Table {
            sheet: "t",
            columns: names(&["urgent_reason", "cost"]),
            rows: vec![vec![
                Cell::Text("=HYPERLINK(\"http://x\",\"y\")".to_owned()),
                Cell::Money(Some(-5_000)),
            ]],
        };
        let csv = String::from_utf8(table.to_csv().unwrap()).unwrap();
        assert_eq!(
            csv,
            "\u{feff}urgent_reason;cost\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\";-50,00\n"
        );
    }
}
