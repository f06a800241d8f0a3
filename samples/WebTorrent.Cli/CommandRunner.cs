namespace WebTorrent.Cli;

/// <summary>Runs a command body with the sample's exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body();
        }
        catch (CommandLineException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Interrupted.");
            return 130;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"error: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}
