//! Recipients: colleague roles for internal messages, contact roles (with a
//! warning for a likely typo) for customers, and written addresses, which
//! must parse as an [`EmailAddress`].

use super::Checker;
use crate::ast;
use crate::diagnostic::{Code, Diagnostic, closest, did_you_mean};
use crate::email::EmailAddress;
use crate::model::*;

impl Checker<'_> {
    pub(super) fn recipients(&mut self, list: &[ast::Recipient], internal: bool) -> Vec<Recipient> {
        let mut out = Vec::new();
        for r in list {
            match r {
                ast::Recipient::Address(a) => {
                    if EmailAddress::parse(&a.node).is_err() {
                        self.error(
                            Code::InvalidValue,
                            a.span,
                            format!("\"{}\" is not an email address", a.node),
                        );
                    }
                    out.push(Recipient::Address(a.node.clone()));
                }
                ast::Recipient::Role(role) => {
                    let name = role.node.as_str();
                    if COLLEAGUE_ROLES.contains(&name) {
                        out.push(Recipient::Colleague(name.to_string()));
                    } else if internal {
                        let help = did_you_mean(name, COLLEAGUE_ROLES.iter().copied()).or_else(|| {
                            Some(if CONTACT_ROLES.contains(&name) {
                                format!("`{name}` is a contact role: colleagues are collector, sales, manager, or write an \"address\"")
                            } else {
                                "colleague roles are collector, sales, manager, or write an \"address\"".into()
                            })
                        });
                        self.help(
                            Code::UnknownRecipient,
                            role.span,
                            format!("`{name}` is not a colleague role"),
                            help,
                        );
                    } else {
                        if !CONTACT_ROLES.contains(&name) {
                            let known = CONTACT_ROLES.iter().chain(COLLEAGUE_ROLES).copied();
                            if let Some(c) = closest(name, known) {
                                self.diags.push(
                                    Diagnostic::new(
                                        Code::SuspiciousRole,
                                        role.span,
                                        format!("no contact role `{name}` is known to relance"),
                                    )
                                    .with_help(format!(
                                        "did you mean `{c}`? (other contact roles are fine when the contacts data has them)"
                                    )),
                                );
                            }
                        }
                        out.push(Recipient::Contact(name.to_string()));
                    }
                }
            }
        }
        out
    }
}
