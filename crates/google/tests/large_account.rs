//! A 100,000-person account listed page by page: every person arrives exactly once, and the peak
//! memory stays small because no more than a page is held at a time (the fake Google, which
//! runs in this process, generates people on demand).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(
    unsafe_code,
    reason = "a counting global allocator must implement the unsafe GlobalAlloc"
)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{client, start_fake, user};
use pulse_domain::ports::{ContactListing, ContactsSource, ListingMode};
use pulse_google::fake::{FakeEndpoint, FakeOptions, generated_account};

/// Counts live heap bytes and their peak, for the whole process.
struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const PEOPLE: u32 = 100_000;
const MIB: usize = 1024 * 1024;
/// Far above what a page needs, far below what holding every person would.
const PEAK_HEAP_BOUND: usize = 200 * MIB;

/// `VmHWM` (peak resident set) from /proc, in kiB, where the system has it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn a_100000_person_account_is_listed_page_by_page_in_little_memory() {
    let fake =
        start_fake(FakeOptions::default().with_account("large", generated_account(PEOPLE, 42)));
    let client = client(&fake);
    let refresh_token = fake.grant("large").unwrap();
    let rss_before = peak_rss_kib();
    let heap_before = LIVE.load(Ordering::Relaxed);
    PEAK.store(heap_before, Ordering::Relaxed);

    let mut listing = client.open_listing(&user("large-user"), &refresh_token, ListingMode::Full);
    let mut pages = 0;
    let mut largest_page = 0;
    let mut name_hashes: Vec<u64> = Vec::with_capacity(PEOPLE as usize);
    let mut with_identifier = 0;
    let mut sync_token = None;
    while let Some(page) = listing.next_page().await.unwrap() {
        pages += 1;
        largest_page = largest_page.max(page.people.len());
        for person in &page.people {
            name_hashes.push(fnv1a(person.resource_name.as_bytes()));
            if !person.emails.is_empty() || !person.phones.is_empty() {
                with_identifier += 1;
            }
        }
        sync_token = page.next_sync_token;
    }

    let peak_heap_growth = PEAK.load(Ordering::Relaxed).saturating_sub(heap_before);
    let rss_after = peak_rss_kib();
    println!(
        "100,000 people in {pages} pages: peak heap growth {:.1} MiB (bound {} MiB); VmHWM {:?} kiB before, {:?} kiB after",
        peak_heap_growth as f64 / MIB as f64,
        PEAK_HEAP_BOUND / MIB,
        rss_before,
        rss_after,
    );

    assert_eq!(pages, 100);
    assert_eq!(largest_page, 1000);
    assert!(sync_token.is_some());
    assert_eq!(fake.request_count("large", FakeEndpoint::Connections), 100);
    name_hashes.sort_unstable();
    name_hashes.dedup();
    assert_eq!(
        name_hashes.len(),
        PEOPLE as usize,
        "every person exactly once"
    );
    assert!(
        with_identifier > 80_000 && with_identifier < 100_000,
        "{with_identifier}"
    );
    assert!(
        peak_heap_growth < PEAK_HEAP_BOUND,
        "peak heap growth {peak_heap_growth} bytes"
    );
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
