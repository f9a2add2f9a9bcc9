//! nmaps-targets
