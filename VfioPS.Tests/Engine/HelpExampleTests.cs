using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using VfioPS.Docs;
using VfioPS.Docs.Examples;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>Runs every mock example of the help once, each in a fresh vfiops-run, two at a time.</summary>
public sealed class HelpExampleRuns
{
    public HelpExampleRuns()
    {
        string runner = Repo.Runner;
        var examples = HelpSet.Load(Repo.Root).Examples.Where(e => e.Lane == ExampleLane.Mock);
        Runs = new ExampleRunner(runner, Repo.Root).RunAllAsync(examples, parallel: 2).GetAwaiter().GetResult().ToDictionary(r => r.Example.Id);
    }

    public IReadOnlyDictionary<string, ExampleRun> Runs { get; }
}

/// <summary>
/// Every example of the help runs against the mock without error, and where it shows output, prints exactly that
/// (rendered by Out-Default with the module's views at 120 columns, as the help was made).
/// </summary>
public sealed class HelpExampleTests(HelpExampleRuns runs) : IClassFixture<HelpExampleRuns>
{
    public static TheoryData<string> MockExamples()
    {
        var data = new TheoryData<string>();
        foreach (var example in HelpSet.Load(Repo.Root).Examples.Where(e => e.Lane == ExampleLane.Mock)) data.Add(example.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(MockExamples))]
    public void TheExampleRunsAndPrintsWhatTheHelpShows(string id)
    {
        var run = runs.Runs[id];
        Assert.True(run.Failure is null, run.Failure);
    }

    [Fact]
    public void MostExamplesRunHereAndShowTheirOutput()
    {
        var examples = HelpSet.Load(Repo.Root).Examples;
        Assert.True(examples.Count(e => e.Lane == ExampleLane.Mock) >= 20, "fewer than 20 examples run against the mock");
        Assert.True(examples.Count(e => e.Lane == ExampleLane.Mock && e.Output is not null) >= 15, "fewer than 15 mock examples show their output");
        Assert.True(examples.Count(e => e.Lane == ExampleLane.Pwsh) <= examples.Count / 5, "too many examples can only run under pwsh");
    }

    [Fact]
    public void AWrongOutputIsReported()
    {
        // The comparison can fail: the same code with an output the run does not print.
        var example = new DocExample("Test", 1, "Example 1: wrong", "'one'; 'two'", "one\nthree", "", ExampleLane.Mock);
        var run = new ExampleRun(example, 0, "\none\ntwo  \n\n", "");
        Assert.Contains("printed something else", run.Failure);
        Assert.Null((run with { Output = "one\nthree\n" }).Failure);
        Assert.Contains("exited 1", (run with { ExitCode = 1, Errors = "boom" }).Failure);
    }
}
