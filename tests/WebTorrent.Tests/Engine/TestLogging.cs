using Microsoft.Extensions.Logging;

namespace WebTorrent.Tests.Engine;

/// <summary>Logs to stderr when WEBTORRENT_TEST_LOG is set (debugging a failing test), else nowhere.</summary>
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
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {name} {logLevel}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
    }
}
