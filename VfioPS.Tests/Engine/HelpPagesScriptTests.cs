using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using VfioPS.Docs;
using VfioPS.Docs.Examples;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>
/// The Pester suite reads docs/ with VfioPS.Tests/Pester/HelpPages.ps1 under pwsh, which cannot run here. Its parsing
/// runs in the bare engine with stand-ins for the three pwsh cmdlets it uses (ConvertFrom-Markdown over the same
/// Markdig, Get-ChildItem, Sort-Object) and must read what VfioPS.Docs reads.
/// </summary>
public sealed class HelpPagesScriptTests(ModuleFixture module) : IClassFixture<ModuleFixture>
{
    private const string StandIns = """
        function ConvertFrom-Markdown { param([string] $LiteralPath)
            $pipeline = [Markdig.MarkdownExtensions]::UseAdvancedExtensions([Markdig.MarkdownPipelineBuilder]::new()).Build()
            [pscustomobject]@{ Tokens = [Markdig.Markdown]::Parse([System.IO.File]::ReadAllText($LiteralPath), $pipeline) } }
        function Get-ChildItem { param([string] $LiteralPath, [string] $Filter) [System.IO.DirectoryInfo]::new($LiteralPath).GetFiles($Filter) }
        function Sort-Object { param([string] $Property) $items = @($input); [System.Linq.Enumerable]::ToArray([System.Linq.Enumerable]::OrderBy([object[]]$items, [Func[object,string]]{ param($x) $x.$Property }, [StringComparer]::Ordinal)) }
        """;

    private static object? Base(object? value) => value is PSObject p ? p.BaseObject : value;

    private static string? Str(PSObject o, string name) => Base(o.Properties[name].Value)?.ToString();

    [Fact]
    public void ThePesterSuiteReadsTheSamePagesAsVfioPSDocs()
    {
        string script = StandIns + $"\n$PSScriptRoot = '{Path.Combine(Repo.Root, "VfioPS.Tests", "Pester")}'\n. (\"$PSScriptRoot/HelpPages.ps1\")\nGet-VfioHelpPage";
        var pages = module.Run(script);
        var help = HelpSet.Load(Repo.Root);
        Assert.Equal(help.Commands.Select(c => c.Title).OrderBy(n => n, StringComparer.Ordinal), pages.Select(p => Str(p, "Name")));
        foreach (var page in pages)
        {
            var expected = help.Commands.Single(c => c.Title == Str(page, "Name"));
            Assert.Equal(expected.Synopsis, Str(page, "Synopsis"));
            Assert.Equal(expected.Syntax.Select(s => s.ParameterSetName), ((object[])Base(page.Properties["SyntaxSets"].Value)!).Select(o => o.ToString()));
            var parameters = ((object[])Base(page.Properties["Parameters"].Value)!).Select(o => o as PSObject ?? new PSObject(o)).ToList();
            Assert.Equal(expected.Parameters.Select(p => ((string?)p.Name, (string?)p.Type, p.DontShow)),
                parameters.Select(p => (Str(p, "Name"), Str(p, "Type"), (bool)Base(p.Properties["DontShow"].Value)!)));
            var examples = ((object[])Base(page.Properties["Examples"].Value)!).Select(o => o as PSObject ?? new PSObject(o)).ToList();
            var expectedExamples = DocExample.From(expected);
            Assert.Equal(expectedExamples.Count, examples.Count);
            foreach (var (want, got) in expectedExamples.Zip(examples))
            {
                Assert.Equal(want.Title, Str(got, "Title"));
                Assert.Equal(want.Code, Str(got, "Code"));
                Assert.Equal(want.Output, Str(got, "Output"));
                Assert.Equal(want.Lane.ToString(), Str(got, "Lane"));
            }
        }
    }
}
