//! Parts of the service that can fail while the service itself still answers (a message broker, a
//! backlog), reported by `/healthz`: the answer stays 200 with `"status": "degraded"` and the
//! part's own fields, so monitoring sees the problem and load balancers keep sending requests the
//! server can serve.

use std::sync::Arc;

/// One such part.
pub trait Component: Send + Sync {
    /// Its state now.
    fn report(&self) -> Report;
}

/// What a [`Component`] says.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub degraded: bool,
    /// Fields added to the `/healthz` object (e.g. `"nats": "disconnected"`).
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The components a server reports on.
#[derive(Clone, Default)]
pub struct Components(Vec<Arc<dyn Component>>);

impl Components {
    pub fn with(mut self, c: Arc<dyn Component>) -> Components {
        self.0.push(c);
        self
    }

    /// The `/healthz` object of a server whose database answers: `ok`, or `degraded` when a
    /// component is, with every component's fields.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        let mut degraded = false;
        for c in &self.0 {
            let r = c.report();
            degraded |= r.degraded;
            body.extend(r.fields);
        }
        body.insert("status".into(), if degraded { "degraded" } else { "ok" }.into());
        serde_json::Value::Object(body)
    }
}

impl std::fmt::Debug for Components {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Components({})", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(bool);

    impl Component for Fixed {
        fn report(&self) -> Report {
            let mut fields = serde_json::Map::new();
            fields.insert("part".into(), if self.0 { "down" } else { "up" }.into());
            Report { degraded: self.0, fields }
        }
    }

    #[test]
    fn one_degraded_component_degrades_the_answer() {
        assert_eq!(Components::default().body(), serde_json::json!({"status": "ok"}));
        let healthy = Components::default().with(Arc::new(Fixed(false)));
        assert_eq!(healthy.body(), serde_json::json!({"status": "ok", "part": "up"}));
        let degraded = healthy.with(Arc::new(Fixed(true)));
        assert_eq!(degraded.body()["status"], "degraded");
    }
}
