// Interop tests start real peers (Chromium, node, libtorrent) on a 2-core machine: one at a time keeps them reliable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
