namespace WebTorrent.Discovery;

/// <summary>
/// Wakes a background loop early: <see cref="Set"/> completes the current wait; <see cref="WaitAsync"/> waits for the
/// signal or a delay on a <see cref="TimeProvider"/>. Also tells tests when the loop is idle (waiting).
/// </summary>
internal sealed class WakeSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _signal = NewSource();
    private TaskCompletionSource _idle = NewSource();
    private bool _waiting;

    /// <summary>Wakes the loop (or makes its next wait return at once).</summary>
    public void Set()
    {
        lock (_gate) _signal.TrySetResult();
    }

    /// <summary>Completes when the loop is (or next becomes) idle in <see cref="WaitAsync"/>.</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate) return _waiting ? Task.CompletedTask : _idle.Task;
    }

    /// <summary>Waits for <paramref name="delay"/> (infinite when null) or the signal; true when signalled.</summary>
    public async Task<bool> WaitAsync(TimeSpan? delay, TimeProvider time, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task signal;
        Task timer;
        lock (_gate)
        {
            signal = _signal.Task;
            // The timer starts before the loop reports itself idle: a test that advances a fake clock as soon as the
            // loop is idle must find the timer already counting from the time before the advance.
            timer = signal.IsCompleted ? Task.CompletedTask
                : delay is { } d ? Task.Delay(d < TimeSpan.Zero ? TimeSpan.Zero : d, time, cancel.Token)
                : Task.Delay(Timeout.Infinite, cancel.Token);
            _waiting = true;
            _idle.TrySetResult();
        }
        try
        {
            if (signal.IsCompleted) return true;
            var first = await Task.WhenAny(signal, timer).ConfigureAwait(false);
            await cancel.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return first == signal;
        }
        finally
        {
            lock (_gate)
            {
                _waiting = false;
                if (_idle.Task.IsCompleted) _idle = NewSource();
                if (_signal.Task.IsCompleted) _signal = NewSource();
            }
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
