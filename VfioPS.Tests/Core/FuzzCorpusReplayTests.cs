using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using VfioPS.Fuzz;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// Every seed (VfioPS.Fuzz/corpus/&lt;target&gt;/) and every input a fuzzing campaign found to crash or hang
/// (VfioPS.Fuzz/regressions/&lt;target&gt;/) replayed through its harness in this process, without instrumentation: the
/// harness must return, which means the parser answered or refused the input in its documented way (a VfioException,
/// a false return, a chain fault). Anything else escaping (IndexOutOfRange, ArgumentOutOfRange, an invariant the
/// harness checks) fails the test, so a crash input committed under regressions/ stays fixed.
/// </summary>
public class FuzzCorpusReplayTests
{
    private static string FuzzRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "VfioPS.psd1"))) return Path.Combine(dir.FullName, "VfioPS.Fuzz");
        throw new InvalidOperationException($"No VfioPS.psd1 above {AppContext.BaseDirectory}.");
    }

    /// <summary>(target, "corpus/target/file" or "regressions/target/file") for every file of both trees.</summary>
    public static IEnumerable<object[]> Inputs()
    {
        string root = FuzzRoot();
        foreach (string kind in new[] { "corpus", "regressions" })
        {
            string dir = Path.Combine(root, kind);
            if (!Directory.Exists(dir)) continue;
            foreach (string targetDir in Directory.GetDirectories(dir).OrderBy(d => d, StringComparer.Ordinal))
                foreach (string file in Directory.GetFiles(targetDir).OrderBy(f => f, StringComparer.Ordinal))
                    yield return new object[] { Path.GetFileName(targetDir), Path.GetRelativePath(root, file) };
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void TheHarnessReturns(string target, string file)
    {
        var harness = FuzzTargets.Find(target);
        Assert.True(harness is not null, $"'{file}' is under a folder named for no fuzz target ({target})");
        byte[] input = File.ReadAllBytes(Path.Combine(FuzzRoot(), file));
        var exception = Record.Exception(() => harness!.Run(input));
        Assert.True(exception is null, $"{target} on {file}: {exception}");
    }

    [Fact]
    public void EveryTargetHasASeedCorpus()
    {
        var seeded = Inputs().Where(i => ((string)i[1]).StartsWith("corpus", StringComparison.Ordinal)).Select(i => (string)i[0]).ToHashSet();
        Assert.Equal(FuzzTargets.All.Select(t => t.Name).OrderBy(n => n), seeded.OrderBy(n => n));
    }

    [Fact]
    public void TheRegressionsFromTheFuzzingCampaignsAreKept()
        => Assert.Contains(Inputs(), i => ((string)i[1]).StartsWith("regressions", StringComparison.Ordinal));
}
