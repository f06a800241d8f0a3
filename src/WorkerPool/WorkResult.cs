using System.Runtime.ExceptionServices;

namespace WorkerPool;

/// <summary>The outcome of one submitted item: its value, or the exception its work threw.</summary>
/// <typeparam name="TInput">The item type.</typeparam>
/// <typeparam name="TResult">The value type.</typeparam>
/// <param name="Sequence">Zero-based submission number of the item within its pool.</param>
/// <param name="Input">The item as submitted.</param>
/// <param name="Value">The value the work returned; default when <paramref name="Exception"/> is set.</param>
/// <param name="Exception">The exception the work threw (an <see cref="OperationCanceledException"/> when it was cancelled), or null.</param>
public readonly record struct WorkResult<TInput, TResult>(long Sequence, TInput Input, TResult? Value, Exception? Exception)
{
    /// <summary>Whether the work returned a value.</summary>
    public bool Succeeded => Exception is null;

    /// <summary>Returns the value, or rethrows the work's exception with its original stack trace.</summary>
    /// <returns>The value the work returned.</returns>
    public TResult GetValueOrThrow()
    {
        if (Exception is not null)
        {
            ExceptionDispatchInfo.Throw(Exception);
        }

        return Value!;
    }
}
