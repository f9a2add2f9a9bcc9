//! nmaps-output
