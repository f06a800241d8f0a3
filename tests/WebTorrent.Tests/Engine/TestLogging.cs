using Microsoft.Extensions.Logging;

namespace WebTorrent.Tests.Engine;

/// <summary>Appends logs to the file WEBTORRENT_TEST_LOG names (debugging a failing test), else logs nowhere.</summary>
internal sealed class TestLoggerFactory : ILoggerFactory
{
    public static ILoggerFactory? FromEnvironment(string name) =>
        Environment.GetEnvironmentVariable("WEBTORRENT_TEST_LOG") is { Length: > 0 } ? new TestLoggerFactory(name) : null;

    private readonly string _name;

    private TestLoggerFactory(string name) => _name = name;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Logger(_name);

    public void Dispose()
    {
    }

    private sealed class Logger(string name) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Write($"{DateTime.UtcNow:HH:mm:ss.fff} {name} {logLevel}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");

        private static readonly Lock Gate = new();

        private static void Write(string line)
        {
            lock (Gate) File.AppendAllLines(Environment.GetEnvironmentVariable("WEBTORRENT_TEST_LOG")!, [line]);
        }
    }
}
