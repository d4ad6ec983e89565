//! Word wrapping of styled text into screen lines, so a widget knows how
//! many rows its text takes before it draws (the status bar's height, a
//! dialog's, the help's scroll range) and long lines are never cut at the
//! terminal's edge.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// `spans` as lines of at most `width` columns: broken after spaces, a
/// word longer than a line split where it reaches the edge, `\n` a break.
/// Lines after the first start with `indent` spaces (a hanging indent;
/// none when it would leave no room).
pub fn wrap(spans: &[Span<'_>], width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent * 2 > width { 0 } else { indent };
    let mut cells: Vec<(char, Style)> = Vec::new();
    for span in spans {
        cells.extend(span.content.chars().map(|c| (c, span.style)));
    }
    let mut w = Wrapper {
        width,
        indent,
        lines: vec![Vec::new()],
        used: 0,
    };
    let mut i = 0;
    while i < cells.len() {
        if cells[i].0 == '\n' {
            w.break_line();
            i += 1;
            continue;
        }
        // A word: its non-space characters, then the spaces after them.
        let start = i;
        while i < cells.len() && cells[i].0 != ' ' && cells[i].0 != '\n' {
            i += 1;
        }
        let word = &cells[start..i];
        let spaces = i;
        while i < cells.len() && cells[i].0 == ' ' {
            i += 1;
        }
        let word_width: usize = word.iter().map(|(c, _)| char_width(*c)).sum();
        if w.used > 0 && w.used + word_width > w.room() {
            w.break_line();
        }
        for &(c, style) in word {
            let cw = char_width(c);
            if w.used > 0 && w.used + cw > w.room() {
                w.break_line();
            }
            w.push(c, style, cw);
        }
        // Spaces that do not fit end the line (they are not carried over).
        for &(c, style) in &cells[spaces..i] {
            if w.used < w.room() {
                w.push(c, style, 1);
            }
        }
    }
    w.lines
        .into_iter()
        .enumerate()
        .map(|(n, cells)| line_of(n, indent, cells))
        .collect()
}

/// How many lines `wrap` makes of `spans`.
pub fn height(spans: &[Span<'_>], width: usize, indent: usize) -> usize {
    wrap(spans, width, indent).len()
}

struct Wrapper {
    width: usize,
    indent: usize,
    lines: Vec<Vec<(char, Style)>>,
    /// Columns used on the current line (its indent not counted).
    used: usize,
}

impl Wrapper {
    fn room(&self) -> usize {
        if self.lines.len() == 1 {
            self.width
        } else {
            self.width - self.indent
        }
    }

    fn break_line(&mut self) {
        self.lines.push(Vec::new());
        self.used = 0;
    }

    fn push(&mut self, c: char, style: Style, width: usize) {
        if let Some(line) = self.lines.last_mut() {
            line.push((c, style));
        }
        self.used += width;
    }
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// One line's cells as spans of equal style, after its indent.
fn line_of(n: usize, indent: usize, cells: Vec<(char, Style)>) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    if n > 0 && indent > 0 {
        spans.push(Span::raw(" ".repeat(indent)));
    }
    let mut text = String::new();
    let mut style: Option<Style> = None;
    for (c, s) in cells {
        if style.is_some_and(|st| st != s) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(s);
        text.push(c);
    }
    if let Some(s) = style {
        spans.push(Span::styled(text, s));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn words_wrap_with_a_hanging_indent_and_long_words_split() {
        let spans = [Span::raw("one two three four"), Span::raw(" abcdefghijkl")];
        assert_eq!(
            texts(&wrap(&spans, 9, 2)),
            ["one two ", "  three ", "  four ", "  abcdefg", "  hijkl"]
        );
        assert_eq!(texts(&wrap(&[Span::raw("a\nb")], 9, 0)), ["a", "b"]);
        assert_eq!(height(&[Span::raw("")], 9, 0), 1);
    }
}
