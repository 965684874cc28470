//! Register an account: the credentials row first (it carries the unique e-mail), then the
//! `UserRegistered` event, then (for a customer) the loyalty account. A retry with the same
//! password after a crash between them completes the registration; anyone else is refused with
//! `email_taken`.

use super::{hash_password, invalid, verify_password};
use crate::{Application, Call, CommandError, Envelope, RefusalKind, UseCaseError, UseCaseResult};
use skyfly_domain::event::{Actor, Metadata};
use skyfly_domain::identity::{
    Credentials, Email, IdentityCommand, IdentityError, MAX_NAME_LEN, Password, RegisterUser, Role,
    User,
};
use skyfly_domain::ids::{CommandId, LoyaltyAccountId, UserId};
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyCommand, OpenAccount};

/// Register an account: validated once, here.
#[derive(Debug, Clone)]
pub struct RegisterAccount {
    email: Email,
    password: Password,
    name: String,
    role: Role,
}

impl RegisterAccount {
    /// The command, if every field is acceptable (else the first invalid field).
    pub fn parse(email: &str, password: &str, name: &str, role: Role) -> UseCaseResult<Self> {
        let email = Email::parse(email).map_err(invalid)?;
        let password = Password::parse(password).map_err(invalid)?;
        let trimmed = name.trim();
        if trimmed.is_empty() || trimmed.chars().count() > MAX_NAME_LEN {
            return Err(invalid(IdentityError::InvalidName));
        }
        Ok(Self {
            email,
            password,
            name: name.to_owned(),
            role,
        })
    }

    /// The e-mail address (normalised).
    pub fn email(&self) -> &Email {
        &self.email
    }
}

/// A registered account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The new user's id.
    pub user_id: UserId,
    /// Global position of the last event the registration appended (`None` if none: a retry).
    pub position: Option<u64>,
}

fn email_taken() -> UseCaseError {
    UseCaseError::refused(
        RefusalKind::Conflict,
        "email_taken",
        Some("email"),
        "an account with this e-mail address already exists",
    )
}

/// Registers an account. `command_id` makes a retry of the same registration take effect once.
pub async fn register(
    app: &Application,
    command_id: CommandId,
    command: RegisterAccount,
) -> UseCaseResult<Registered> {
    let RegisterAccount {
        email,
        password,
        name,
        role,
    } = command;
    let user_id = UserId::for_email(&email);
    let hash = hash_password(password.expose().to_owned()).await?;
    let inserted = app
        .credentials
        .insert(&Credentials {
            user_id,
            email: email.as_str().to_owned(),
            password_hash: hash,
            role,
        })
        .await?;
    if !inserted {
        let (user, _) = app.bus.load::<User>(user_id).await?;
        let same_person = match app.credentials.by_user(user_id).await? {
            Some(c) => verify_password(password.expose().to_owned(), c.password_hash).await?,
            None => false,
        };
        if user.is_registered() || !same_person {
            return Err(email_taken());
        }
    }
    let actor = Actor::User {
        user_id: user_id.0,
        role: role.as_str().to_owned(),
    };
    let command = IdentityCommand::RegisterUser(RegisterUser {
        user_id,
        email,
        name,
        role,
        at: app.now(),
    });
    let call = Call::new(command_id, actor);
    let position = match app
        .bus
        .execute::<User>(user_id, Envelope::new(command, call.metadata()))
        .await
    {
        Ok(done) => done.position,
        Err(CommandError::Rejected(IdentityError::AlreadyRegistered)) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
    };
    let position = match role {
        Role::Customer => open_account(app, user_id, command_id).await?.or(position),
        Role::Staff => position,
    };
    Ok(Registered { user_id, position })
}

/// Opens the loyalty account of a new customer (idempotent: derived command id).
async fn open_account(
    app: &Application,
    user: UserId,
    registration: CommandId,
) -> UseCaseResult<Option<u64>> {
    let account_id = LoyaltyAccountId::for_user(user);
    let command = LoyaltyCommand::OpenAccount(OpenAccount {
        account_id,
        owner: user,
        at: app.now(),
    });
    let command_id = CommandId::derived(&format!("{}/open-loyalty-account", registration.0));
    let metadata = Metadata {
        correlation_id: registration.0,
        causation_id: registration.0,
        ..Metadata::new(command_id, Actor::system("registration"))
    };
    let done = app
        .bus
        .execute::<LoyaltyAccount>(account_id, Envelope::new(command, metadata))
        .await?;
    Ok(done.position)
}
