using PublicApiGenerator;

namespace WebTorrent.Metainfo.Tests;

/// <summary>
/// The public API as text, compared with the checked-in PublicApi.approved.txt: a change to the API must be a
/// deliberate edit of that file (the test writes PublicApi.received.txt beside it to diff against).
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void Public_api_is_the_approved_one()
    {
        var api = typeof(TorrentMetainfo).Assembly.GeneratePublicApi(new ApiGeneratorOptions { ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"] })
            .ReplaceLineEndings("\n");
        var approvedPath = Path.Combine(SourceDirectory(), "PublicApi.approved.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (api != approved) File.WriteAllText(Path.Combine(SourceDirectory(), "PublicApi.received.txt"), api);
        Assert.Equal(approved, api);
    }

    // Not CallerFilePath: CI builds map source paths (deterministic builds), the repository root is found on disk.
    private static string SourceDirectory() => Path.Combine(WebTorrent.TestSupport.RepoPaths.Root, "tests", "WebTorrent.Metainfo.Tests");
}
