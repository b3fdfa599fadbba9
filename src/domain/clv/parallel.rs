//! Work split over the machine's cores in fixed chunks, with results combined in chunk
//! order, so the answer does not depend on how many threads ran. The fits sum likelihoods
//! over up to a million customers' rows a few thousand times; predictions evaluate a 2F1
//! series per row and month.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Items per unit of work: large enough that a thread's start-up is noise.
pub const CHUNK: usize = 16_384;

/// `f` applied to consecutive chunks of `items`, in order; on several threads when there is
/// more than one chunk.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if items.len() <= CHUNK || threads == 1 {
        return items.chunks(CHUNK).map(&f).collect();
    }
    let chunks: Vec<&[T]> = items.chunks(CHUNK).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..chunks.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.min(chunks.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else { break };
                let r = f(chunk);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The sum of `f` over chunks of `items`, added in chunk order.
pub fn sum_chunks<T: Sync>(items: &[T], f: impl Fn(&[T]) -> f64 + Sync) -> f64 {
    map_chunks(items, f).into_iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_in_order() {
        let items: Vec<u64> = (0..(5 * CHUNK as u64 + 17)).collect();
        let firsts = map_chunks(&items, |c| c[0]);
        assert_eq!(firsts, (0..6).map(|i| i * CHUNK as u64).collect::<Vec<_>>());
        let sum = sum_chunks(&items, |c| c.iter().map(|&v| v as f64).sum());
        let n = items.len() as f64;
        assert_eq!(sum, n * (n - 1.0) / 2.0);
        assert!(map_chunks(&[] as &[u8], |c| c.len()).is_empty());
    }
}
