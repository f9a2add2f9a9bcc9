//! nmaps-engine
