//! Keys as data: one table maps (mode, key) to an `Action`. Dispatch, the
//! help screen and the titles that name keys all read it; `[keys]` in
//! config.toml rebinds it (`edit = "i"`, `quit = ["q", "Ctrl-q"]`).
//!
//! Ctrl-c is not in the table: it always quits (asking first when the
//! editor holds unsaved text), whatever the bindings say.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Mode};

/// A key with its modifiers, as the table holds it. Shift is part of the
/// character (`G`), so it is only kept for keys that have no case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                // Ctrl-S arrives as 's' with Ctrl on most terminals.
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            code => code,
        };
        Key { code, mods }
    }

    /// Parses `j`, `G`, `Ctrl-s`, `Alt-x`, `F2`, `Enter`, `Esc`, `Tab`,
    /// `Shift-Tab`, `Up`, `Down`, `Left`, `Right`, `PgUp`, `PgDn`, `Home`,
    /// `End`, `Space`, `Backspace`, `Delete`.
    pub fn parse(text: &str) -> Option<Key> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let prefix = ["ctrl-", "c-", "alt-", "a-", "shift-", "s-"]
                .into_iter()
                .find(|p| lower.starts_with(p) && rest.len() > p.len());
            let Some(p) = prefix else { break };
            mods |= match p {
                "ctrl-" | "c-" => KeyModifiers::CONTROL,
                "alt-" | "a-" => KeyModifiers::ALT,
                _ => KeyModifiers::SHIFT,
            };
            rest = &rest[p.len()..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return None,
                },
                _ => return None,
            },
        };
        let ev = KeyEvent::new(code, mods);
        Some(Key::from_event(&ev))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The bindings in force: defaults, then the user's `[keys]`.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// (mode, key, action), in the order help lists them.
    bindings: Vec<(Mode, Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = Action::all()
            .flat_map(|action| {
                action.default_keys().iter().map(move |k| {
                    let key = Key::parse(k).unwrap_or_else(|| panic!("bad default key {k:?}"));
                    (action.mode(), key, action)
                })
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with `[keys]` from config.toml applied: each named
    /// action gets exactly the keys given (taking them from any other
    /// action of the same mode). Unknown actions or keys are errors.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        // Two actions of one mode given the same key: the file decides
        // nothing, so say so rather than let the last one win silently.
        let mut given: BTreeMap<(String, String), &str> = BTreeMap::new();
        for (name, keys) in overrides {
            let Some(action) = Action::from_name(name) else {
                continue;
            };
            for k in keys {
                let Some(key) = Key::parse(k) else { continue };
                let slot = (format!("{:?}", action.mode()), key.to_string());
                if let Some(other) = given.insert(slot, name) {
                    return Err(format!(
                        "[keys]: {:?} is given to both {other} and {name}: give each its own key",
                        crate::escape::escape_str(&key.to_string())
                    ));
                }
            }
        }
        for (name, keys) in overrides {
            let action = Action::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = Action::all().map(Action::name).collect();
                format!(
                    "[keys]: unknown action {:?} (actions: {})",
                    crate::escape::escape_str(name),
                    names.join(", ")
                )
            })?;
            let mode = action.mode();
            let parsed = keys
                .iter()
                .map(|k| {
                    Key::parse(k).ok_or_else(|| {
                        format!(
                            "[keys]: {name} = {:?} is not a key (like \"x\", \"G\", \"Ctrl-s\", \"F2\", \"Enter\", \"PgDn\")",
                            crate::escape::escape_str(k)
                        )
                    })
                })
                .collect::<Result<Vec<Key>, String>>()?;
            map.bindings
                .retain(|(m, k, a)| *a != action && !(*m == mode && parsed.contains(k)));
            map.bindings
                .extend(parsed.into_iter().map(|k| (mode, k, action)));
        }
        Ok(map)
    }

    /// The action `key` triggers in `mode` (or in its parent mode).
    pub fn action(&self, mode: Mode, key: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(key);
        let find = |mode: Mode| {
            self.bindings
                .iter()
                .find(|(m, k, _)| *m == mode && *k == key)
                .map(|b| b.2)
        };
        find(mode).or_else(|| mode.parent().and_then(find))
    }

    /// The keys bound to `action`.
    pub fn keys(&self, action: Action) -> impl Iterator<Item = Key> + '_ {
        self.bindings
            .iter()
            .filter(move |b| b.2 == action)
            .map(|b| b.1)
    }

    /// `action`'s keys for a title or the help: `j ↓`; the action's name
    /// as a command (`:name`) when no key is bound.
    pub fn label(&self, action: Action) -> String {
        let keys: Vec<String> = self.keys(action).map(|k| k.to_string()).collect();
        if keys.is_empty() {
            format!(":{}", action.name())
        } else {
            keys.join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn every_action_has_a_default_key() {
        let map = Keymap::default();
        for a in Action::all() {
            assert!(map.keys(a).next().is_some(), "{} has no key", a.name());
        }
    }

    #[test]
    fn no_key_does_two_things_in_one_mode() {
        let map = Keymap::default();
        for (i, (m, k, a)) in map.bindings.iter().enumerate() {
            for (m2, k2, a2) in &map.bindings[i + 1..] {
                assert!(!(m == m2 && k == k2), "{k} is bound to {a:?} and {a2:?}");
            }
        }
    }

    #[test]
    fn shifted_letters_and_ctrl_keys_match() {
        let map = Keymap::default();
        let g = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(map.action(Mode::Browse, &g), Some(Action::Bottom));
        let save = ev(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Mode::Editor, &save), Some(Action::Save));
        assert_eq!(map.action(Mode::Browse, &save), None);
        let back = ev(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(map.action(Mode::Browse, &back), Some(Action::PrevPane));
    }

    #[test]
    fn parse_and_display_agree() {
        for text in [
            "j",
            "G",
            "Ctrl-s",
            "F2",
            "Enter",
            "Shift-Tab",
            "PgDn",
            "Space",
            "?",
        ] {
            let key = Key::parse(text).unwrap();
            assert_eq!(Key::parse(&key.to_string()), Some(key), "{text}");
        }
        assert_eq!(Key::parse("C-s"), Key::parse("Ctrl-s"));
        assert!(Key::parse("Ctrl-").is_none());
        assert!(Key::parse("Hyper-x").is_none());
        assert!(Key::parse("F13").is_none());
    }

    #[test]
    fn rebinding_moves_a_key_and_reports_mistakes() {
        let mut o = BTreeMap::new();
        o.insert("edit".to_string(), vec!["i".to_string()]);
        o.insert("reload".to_string(), vec!["e".to_string()]);
        let map = Keymap::with_overrides(&o).unwrap();
        let key = |c| ev(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(map.action(Mode::Browse, &key('i')), Some(Action::Edit));
        assert_eq!(map.action(Mode::Browse, &key('e')), Some(Action::Reload));
        assert_eq!(map.action(Mode::Browse, &key('r')), None);
        // `r` in the conflict view is another mode: untouched.
        assert_eq!(map.action(Mode::Conflict, &key('r')), Some(Action::Reopen));

        // Issue 22.19: one key for two actions of one mode is refused.
        let mut both = BTreeMap::new();
        both.insert("edit".to_string(), vec!["j".to_string()]);
        both.insert("quit".to_string(), vec!["j".to_string()]);
        assert_eq!(
            Keymap::with_overrides(&both).unwrap_err(),
            "[keys]: \"j\" is given to both edit and quit: give each its own key"
        );
        let mut bad = BTreeMap::new();
        bad.insert("fly".to_string(), vec!["f".to_string()]);
        assert!(Keymap::with_overrides(&bad)
            .unwrap_err()
            .contains("unknown action \"fly\""));
        let mut bad = BTreeMap::new();
        bad.insert("edit".to_string(), vec!["Hyper-x".to_string()]);
        assert!(Keymap::with_overrides(&bad)
            .unwrap_err()
            .contains("is not a key"));
    }
}
