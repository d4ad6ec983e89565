//! Dialogs answered through `update`: each does what it carries, whatever
//! feature opened it (no feature routes another's answer).

use crate::common;

use common::fixtures::{blank, ch, key, typed};
use crossterm::event::KeyCode;
use etcdlens::app::dialogs::{Confirm, ConfirmAction, Prompt, Submit};
use etcdlens::app::{update, Cmd, State};

fn undelete() -> Cmd {
    Cmd::Undelete {
        prefix: b"/a/".to_vec(),
        items: vec![(b"/a/gone".to_vec(), 700)],
        max_request_bytes: 1234,
    }
}

fn type_in(s: &mut State, text: &str) -> Vec<Cmd> {
    typed(text).into_iter().flat_map(|m| update(s, m)).collect()
}

#[test]
fn a_yes_prompt_sends_exactly_what_it_carries() {
    let mut s = blank();
    s.prompt = Some(Prompt::yes(
        " Undelete ",
        "put it back?".into(),
        "type yes".into(),
        Submit::Yes {
            info: "putting back 1 key…".into(),
            cmds: vec![undelete()],
            then: None,
        },
    ));
    // Anything but yes: refused, still open, nothing sent.
    assert!(type_in(&mut s, "no").is_empty());
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    let p = s.prompt.as_ref().expect("still open");
    assert_eq!(p.error.as_deref(), Some("type yes (or Esc to cancel)"));
    update(&mut s, key(KeyCode::Backspace));
    update(&mut s, key(KeyCode::Backspace));
    assert!(type_in(&mut s, "yes").is_empty());
    assert_eq!(update(&mut s, key(KeyCode::Enter)), vec![undelete()]);
    assert!(s.prompt.is_none());
    assert_eq!(s.message.as_ref().unwrap().text, "putting back 1 key…");
}

/// The asking feature's own follow-up (as `transfer::update::apply` is for
/// a plan): runs after the carried commands, with the state.
#[test]
fn a_yes_prompt_then_runs_its_feature_s_function() {
    fn then(state: &mut State, cmds: &mut Vec<Cmd>) {
        state.info("then ran");
        cmds.push(Cmd::Quit);
    }
    let mut s = blank();
    s.prompt = Some(Prompt::yes(
        " Apply ",
        String::new(),
        "type yes".into(),
        Submit::Yes {
            info: String::new(),
            cmds: vec![undelete()],
            then: Some(then),
        },
    ));
    type_in(&mut s, "yes");
    assert_eq!(
        update(&mut s, key(KeyCode::Enter)),
        vec![undelete(), Cmd::Quit]
    );
    assert_eq!(s.message.as_ref().unwrap().text, "then ran");
}

/// A form's function gets the fields' texts; its `Err` keeps the form
/// open with the error, `Ok` closes it (with the commands it sent).
#[test]
fn a_form_is_checked_by_its_own_function() {
    fn form(state: &mut State, fields: &[String], cmds: &mut Vec<Cmd>) -> Result<(), String> {
        match fields {
            [a, b] if a == "x" => {
                state.info(format!("got {a} {b}"));
                cmds.push(Cmd::StopChanges);
                Ok(())
            }
            _ => Err("a must be x".into()),
        }
    }
    let mut s = blank();
    s.prompt = Some(Prompt::form(
        " Form ",
        String::new(),
        vec!["a".into(), "b".into()],
        Submit::Form(form),
    ));
    type_in(&mut s, "y");
    update(&mut s, key(KeyCode::Tab));
    type_in(&mut s, "2");
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    assert_eq!(
        s.prompt.as_ref().unwrap().error.as_deref(),
        Some("a must be x")
    );
    update(&mut s, key(KeyCode::BackTab));
    update(&mut s, key(KeyCode::Backspace));
    type_in(&mut s, "x");
    assert_eq!(update(&mut s, key(KeyCode::Enter)), vec![Cmd::StopChanges]);
    assert!(s.prompt.is_none());
    assert_eq!(s.message.as_ref().unwrap().text, "got x 2");
    // Esc cancels a prompt.
    s.prompt = Some(Prompt::form(
        " Form ",
        String::new(),
        vec!["a".into()],
        Submit::Form(form),
    ));
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(s.prompt.is_none());
    assert_eq!(
        s.message.as_ref().unwrap().text,
        "cancelled: nothing was written"
    );
}

#[test]
fn a_question_runs_what_it_carries_on_y_only() {
    fn then(state: &mut State, _: &mut Vec<Cmd>) {
        state.info("then ran");
    }
    let ask = |action| Confirm {
        question: "sure? y/N".into(),
        etcdctl: "nothing".into(),
        action,
    };
    let mut s = blank();
    s.confirm = Some(ask(ConfirmAction::Run(undelete())));
    assert_eq!(update(&mut s, ch('y')), vec![undelete()]);
    assert!(s.confirm.is_none());
    s.confirm = Some(ask(ConfirmAction::Then(then)));
    assert!(update(&mut s, ch('y')).is_empty());
    assert_eq!(s.message.as_ref().unwrap().text, "then ran");
    s.confirm = Some(ask(ConfirmAction::Run(undelete())));
    assert!(update(&mut s, ch('n')).is_empty());
    assert!(s.confirm.is_none());
    assert_eq!(
        s.message.as_ref().unwrap().text,
        "cancelled: nothing was written"
    );
    s.confirm = Some(ask(ConfirmAction::Quit));
    assert_eq!(update(&mut s, ch('y')), vec![Cmd::Quit]);
    assert!(s.quit);
}
