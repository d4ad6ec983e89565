//! Moving in a list view (find results, usage, leases): where a moving
//! action puts the selection, and the first row shown that keeps it in
//! view.

use super::action::Action;

/// The row `action` selects from `selected` in a list of `len` rows with
/// pages of `page`; `None` for an action that does not move.
pub fn moved(selected: usize, len: usize, page: usize, action: Action) -> Option<usize> {
    let last = len.saturating_sub(1);
    Some(match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => (selected + page).min(last),
        _ => return None,
    })
}

/// The first row shown, moved as little as possible to show `selected`.
pub fn offset_for(selected: usize, offset: usize, page: usize) -> usize {
    if selected < offset {
        selected
    } else if selected >= offset + page {
        selected + 1 - page
    } else {
        offset
    }
}

/// Moves `selected` (and the first row shown) for a moving action; false
/// when the action does not move.
pub fn move_in(
    selected: &mut usize,
    offset: &mut usize,
    len: usize,
    page: usize,
    action: Action,
) -> bool {
    match moved(*selected, len, page, action) {
        Some(s) => {
            *selected = s;
            *offset = offset_for(s, *offset, page);
            true
        }
        None => false,
    }
}
