//! The aggregator's own tasks and their monitors: a monitor answers 202 (with the Task) while the
//! task runs and 200 with the finished Task after.

use super::{Ctx, reply};
use crate::AppState;
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::reset::{Job, start_job};
use crate::rack::tasks::is_running;
use http::Method;

const READ_ALLOW: &str = "GET, HEAD";

fn task(ctx: &Ctx<'_>, id: &str) -> Result<serde_json::Value, AggError> {
    let task = ctx
        .state
        .rack
        .tasks
        .get(id)
        .ok_or_else(|| ctx.not_found())?;
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
    Ok(task)
}

pub fn serve_task(ctx: &Ctx<'_>, id: &str) -> Result<Reply, AggError> {
    reply::json(ctx.ex, &task(ctx, id)?, READ_ALLOW)
}

pub fn serve_monitor(ctx: &Ctx<'_>, id: &str) -> Result<Reply, AggError> {
    let task = task(ctx, id)?;
    if is_running(&task) {
        reply::accepted(&task)
    } else {
        reply::json(ctx.ex, &task, READ_ALLOW)
    }
}

/// 202 Accepted for the task `id` just started: its monitor in Location, the Task as body.
pub fn accepted(state: &AppState, id: &str) -> Result<Reply, AggError> {
    let task = state
        .rack
        .tasks
        .get(id)
        .ok_or_else(|| AggError::Internal("task vanished".into()))?;
    reply::accepted(&task)
}

/// Starts `job` as one of the aggregator's tasks and answers 202 with it.
pub async fn start(state: &AppState, job: Job) -> Result<Reply, AggError> {
    let id = start_job(
        state.inventory.clone(),
        state.rack.clone(),
        &state.tracker,
        job,
    )
    .await?;
    accepted(state, &id)
}
