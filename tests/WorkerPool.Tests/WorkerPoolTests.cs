using WorkerPool;

namespace WorkerPool.Tests;

public sealed class WorkerPoolTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Submission_order_is_kept_whatever_the_finishing_order()
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 200).Select(_ => random.Next(0, 3)).ToArray();
        await using var pool = new WorkerPool<int, int>(
            async (i, ct) =>
            {
                await Task.Delay(delays[i], ct);
                return i * 2;
            },
            new WorkerPoolOptions { DegreeOfParallelism = 4, Capacity = 8 });

        var producer = ProduceAsync(pool, 200);
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        await producer;
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i * 2), results.Select(r => r.GetValueOrThrow()));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), results.Select(r => r.Sequence));
        await pool.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task As_completed_order_delivers_every_result_once()
    {
        await using var pool = new WorkerPool<int, int>(
            (i, _) => ValueTask.FromResult(i + 1),
            new WorkerPoolOptions { DegreeOfParallelism = 3, CompletionOrder = CompletionOrder.AsCompleted });
        var producer = ProduceAsync(pool, 1000);
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        await producer;
        Assert.Equal(Enumerable.Range(1, 1000), results.Select(r => r.Value).Order());
    }

    [Fact]
    public async Task Submitting_waits_while_the_pool_is_full_and_resumes_when_a_result_is_read()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = new WorkerPool<int, int>(
            async (i, _) =>
            {
                await gate.Task;
                return i;
            },
            new WorkerPoolOptions { DegreeOfParallelism = 1, Capacity = 2 });

        await pool.SubmitAsync(0);
        Assert.True(pool.TrySubmit(1));
        Assert.False(pool.TrySubmit(2));
        var blocked = pool.SubmitAsync(2).AsTask();
        await Task.Delay(50);
        Assert.False(blocked.IsCompleted);

        gate.SetResult();
        Assert.True(await pool.WaitToReadResultAsync().AsTask().WaitAsync(Timeout));
        Assert.True(pool.TryReadResult(out var first));
        Assert.Equal(0, first.Value);
        await blocked.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Cancelling_a_waiting_submission_does_not_queue_the_item()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = new WorkerPool<int, int>(
            async (i, _) =>
            {
                await gate.Task;
                return i;
            },
            new WorkerPoolOptions { DegreeOfParallelism = 1, Capacity = 1 });
        await pool.SubmitAsync(0);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pool.SubmitAsync(1, cancellation.Token));
        gate.SetResult();
        pool.Complete();
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal([0], results.Select(r => r.Value));
    }

    [Fact]
    public async Task Exceptions_come_back_with_their_item_and_the_pool_carries_on()
    {
        await using var pool = new WorkerPool<int, int>(
            (i, _) => i % 3 == 0 ? throw new InvalidDataException($"item {i}") : ValueTask.FromResult(i),
            new WorkerPoolOptions { DegreeOfParallelism = 2 });
        var producer = ProduceAsync(pool, 9);
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        await producer;
        Assert.Equal(9, results.Count);
        foreach (var result in results)
        {
            if (result.Input % 3 == 0)
            {
                Assert.False(result.Succeeded);
                var thrown = Assert.Throws<InvalidDataException>(() => result.GetValueOrThrow());
                Assert.Equal($"item {result.Input}", thrown.Message);
            }
            else
            {
                Assert.Equal(result.Input, result.GetValueOrThrow());
            }
        }
    }

    [Fact]
    public async Task Work_runs_on_as_many_workers_as_asked()
    {
        const int parallelism = 3;
        using var barrier = new Barrier(parallelism);
        await using var pool = new WorkerPool<int, bool>(
            (_, ct) => ValueTask.FromResult(barrier.SignalAndWait(Timeout, ct)),
            new WorkerPoolOptions { DegreeOfParallelism = parallelism });
        Assert.Equal(parallelism, pool.DegreeOfParallelism);
        Assert.Equal(parallelism * 4, pool.Capacity);
        var producer = ProduceAsync(pool, parallelism * 2);
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        await producer;
        Assert.All(results, r => Assert.True(r.GetValueOrThrow()));
    }

    [Fact]
    public async Task Dispose_cancels_running_work_drops_queued_items_and_wakes_waiting_producers()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ran = 0;
        var pool = new WorkerPool<int, int>(
            async (i, ct) =>
            {
                Interlocked.Increment(ref ran);
                started.TrySetResult();
                await Task.Delay(System.Threading.Timeout.Infinite, ct);
                return i;
            },
            new WorkerPoolOptions { DegreeOfParallelism = 1, Capacity = 3 });
        await pool.SubmitAsync(0);
        await pool.SubmitAsync(1);
        await pool.SubmitAsync(2);
        var waiting = pool.SubmitAsync(3).AsTask();
        await started.Task.WaitAsync(Timeout);

        await pool.DisposeAsync().AsTask().WaitAsync(Timeout);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Timeout));
        Assert.Equal(1, Volatile.Read(ref ran));
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        var only = Assert.Single(results);
        Assert.IsAssignableFrom<OperationCanceledException>(only.Exception);
        Assert.Throws<ObjectDisposedException>(() => pool.TrySubmit(9));
        await pool.DisposeAsync(); // twice is fine
    }

    [Fact]
    public async Task Dispose_with_drain_finishes_every_accepted_item()
    {
        var pool = new WorkerPool<int, int>(
            async (i, ct) =>
            {
                await Task.Delay(1, ct);
                return i;
            },
            new WorkerPoolOptions { DegreeOfParallelism = 2, Capacity = 50, DisposeBehavior = DisposeBehavior.Drain });
        for (var i = 0; i < 50; i++)
        {
            await pool.SubmitAsync(i);
        }

        await pool.DisposeAsync().AsTask().WaitAsync(Timeout);
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(0, 50), results.Select(r => r.GetValueOrThrow()));
    }

    [Fact]
    public async Task Complete_refuses_new_items_and_ends_the_results()
    {
        await using var pool = new WorkerPool<int, int>((i, _) => ValueTask.FromResult(i));
        await pool.SubmitAsync(1);
        pool.Complete();
        pool.Complete();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pool.SubmitAsync(2));
        Assert.Throws<InvalidOperationException>(() => pool.TrySubmit(2));
        Assert.Single(await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout));
        await pool.Completion.WaitAsync(Timeout);
        Assert.False(await pool.WaitToReadResultAsync());
    }

    [Fact]
    public async Task Many_concurrent_producers_lose_nothing()
    {
        await using var pool = new WorkerPool<int, long>(
            (i, _) => ValueTask.FromResult((long)i),
            new WorkerPoolOptions { DegreeOfParallelism = 2, Capacity = 4, CompletionOrder = CompletionOrder.Submission });
        var producers = Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 2500; i++)
            {
                await pool.SubmitAsync((p * 2500) + i);
            }
        })));
        var all = producers.ContinueWith(_ => pool.Complete(), TaskScheduler.Default);
        var results = await pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(Timeout);
        await producers;
        Assert.Equal(10000, results.Count);
        Assert.Equal(Enumerable.Range(0, 10000).Sum(i => (long)i), results.Sum(r => r.Value));
        Assert.Equal(Enumerable.Range(0, 10000).Select(i => (long)i), results.Select(r => r.Sequence));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool<int, int>((i, _) => ValueTask.FromResult(i), new WorkerPoolOptions { DegreeOfParallelism = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool<int, int>((i, _) => ValueTask.FromResult(i), new WorkerPoolOptions { DegreeOfParallelism = 4, Capacity = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool<int, int>((i, _) => ValueTask.FromResult(i), new WorkerPoolOptions { CompletionOrder = (CompletionOrder)9 }));
        Assert.Throws<ArgumentNullException>(() => new WorkerPool<int, int>(null!));
        Assert.Equal(Environment.ProcessorCount, new WorkerPoolOptions().DegreeOfParallelism);
    }

    private static Task ProduceAsync<TResult>(WorkerPool<int, TResult> pool, int count) => Task.Run(async () =>
    {
        try
        {
            for (var i = 0; i < count; i++)
            {
                await pool.SubmitAsync(i);
            }
        }
        finally
        {
            pool.Complete();
        }
    });
}
