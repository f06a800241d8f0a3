using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WorkerPool;

namespace WorkerPool.Tests;

public sealed class WorkerPoolPropertyTests
{
    [Property(MaxTest = 50, Replay = "(4242,4243)")]
    public bool Any_items_any_shape_come_back_once_in_order(int[] items, PositiveInt parallelism, PositiveInt extraCapacity, bool yieldInWork)
    {
        var workers = (parallelism.Get % 4) + 1;
        var capacity = workers + (extraCapacity.Get % 8);
        var pool = new WorkerPool<int, long>(
            async (i, _) =>
            {
                if (yieldInWork && i % 2 == 0)
                {
                    await Task.Yield();
                }

                return (long)i * 3;
            },
            new WorkerPoolOptions { DegreeOfParallelism = workers, Capacity = capacity });
        try
        {
            var producer = Task.Run(async () =>
            {
                foreach (var item in items)
                {
                    await pool.SubmitAsync(item);
                }

                pool.Complete();
            });
            var results = pool.ReadResultsAsync().ToListAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            producer.GetAwaiter().GetResult();
            return results.Select(r => r.GetValueOrThrow()).SequenceEqual(items.Select(i => (long)i * 3));
        }
        finally
        {
            pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
