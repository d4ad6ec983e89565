//! Answering dialogs: the y/N question's answer, the prompt's keys. What
//! an answer does is what the dialog carries (see [`super::Submit`] and
//! [`super::ConfirmAction`]): nothing here knows which feature asked.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Confirm, ConfirmAction, Submit};
use crate::app::msg::Cmd;
use crate::app::state::State;

/// A y/N question: `y` does it, anything else drops it.
pub fn answer(state: &mut State, confirm: Confirm, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    match (key.code, confirm.action) {
        (KeyCode::Char('y'), ConfirmAction::Run(cmd)) => cmds.push(cmd),
        (KeyCode::Char('y'), ConfirmAction::Then(then)) => then(state, cmds),
        (KeyCode::Char('y'), ConfirmAction::Quit) => {
            state.quit = true;
            cmds.push(Cmd::Quit);
        }
        _ => state.info("cancelled: nothing was written"),
    }
}

/// A key while a prompt is open: typing, moving between fields, `Esc`
/// cancels, `Enter` submits.
pub fn on_prompt_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    match key.code {
        KeyCode::Esc => {
            state.prompt = None;
            state.info("cancelled: nothing was written");
        }
        KeyCode::Tab | KeyCode::Down => prompt.active = (prompt.active + 1) % prompt.fields.len(),
        KeyCode::BackTab | KeyCode::Up => {
            prompt.active = (prompt.active + prompt.fields.len() - 1) % prompt.fields.len()
        }
        KeyCode::Backspace => {
            prompt.fields[prompt.active].1.pop();
        }
        KeyCode::Char(c) => prompt.fields[prompt.active].1.push(c),
        KeyCode::Enter => submit(state, cmds),
        _ => {}
    }
}

/// `Enter`: does what the prompt carries.
fn submit(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(prompt) = state.prompt.take() else {
        return;
    };
    match &prompt.submit {
        Submit::Yes { .. } if prompt.fields.first().is_none_or(|(_, v)| v != "yes") => {
            refuse(state, prompt, "type yes (or Esc to cancel)".into())
        }
        Submit::Yes {
            info,
            cmds: carried,
            then,
        } => {
            if !info.is_empty() {
                state.info(info.clone());
            }
            cmds.extend(carried.iter().cloned());
            if let Some(then) = then {
                then(state, cmds);
            }
        }
        Submit::Form(form) => {
            if let Err(e) = form(state, &prompt.values(), cmds) {
                refuse(state, prompt, e);
            }
        }
    }
}

/// The prompt stays open, saying why.
fn refuse(state: &mut State, mut prompt: super::Prompt, why: String) {
    prompt.error = Some(why);
    state.prompt = Some(prompt);
}
