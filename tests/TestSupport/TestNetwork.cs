namespace WebTorrent.TestSupport;

/// <summary>
/// Guards for tests that use real sockets with third-party peers. eng/test.sh runs the suite inside a
/// network namespace of its own (loopback plus the test hosts 10.99.0.1 and 10.99.0.2) and says so in
/// WEBTORRENT_TEST_NETNS; Chromium's WebRTC must only ever run there.
/// </summary>
public static class TestNetwork
{
    /// <summary>The first test host of the namespace.</summary>
    public const string HostA = "10.99.0.1";

    /// <summary>The second test host of the namespace.</summary>
    public const string HostB = "10.99.0.2";

    /// <summary>True when running inside the isolated test namespace.</summary>
    public static bool InIsolatedNamespace => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBTORRENT_TEST_NETNS"));

    /// <summary>Fails the test unless it runs inside the isolated namespace (run it through eng/test.sh).</summary>
    /// <param name="why">What the test does that must stay inside the namespace, for the failure message.</param>
    public static void RequireIsolatedNamespace(string why = "This test runs Chromium's WebRTC")
    {
        if (!InIsolatedNamespace)
            throw new InvalidOperationException(
                $"{why}, which must stay inside the isolated test network namespace: run it with eng/test.sh.");
    }

    /// <summary>Path of an executable that must exist, failing loudly when it does not.</summary>
    public static string RequireExecutable(string path)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is missing: run eng/install-test-deps.sh (interop peers are required, never skipped).");
        return path;
    }
}
