using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using VfioPS.Docs;
using VfioPS.Docs.Maml;
using VfioPS.Docs.Markdown;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>
/// The help sources agree with each other: the PlatyPS pages in docs/ read cleanly, the committed MAML is what
/// PlatyPS's export writes for them, and the MAML (read back on its own) says the same as the pages.
/// </summary>
public sealed class HelpSourceTests
{
    private static readonly HelpSet Help = HelpSet.Load(Repo.Root);

    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        foreach (var command in HelpSet.Load(Repo.Root).Commands) data.Add(command.Title);
        return data;
    }

    private static CommandHelp Page(string name) => Help.Commands.Single(c => c.Title == name);

    [Theory]
    [MemberData(nameof(Pages))]
    public void EveryPageReadsWithoutPlatyPSErrorsAndNamesTheModulesHelpFile(string name)
    {
        var page = Page(name);
        Assert.Empty(page.Errors);
        Assert.Equal(name + ".md", Path.GetFileName(page.Path));
        Assert.Equal("cmdlet", page.Metadata["document type"]);
        Assert.Equal("VfioPS.dll-Help.xml", page.ExternalHelpFile);
        Assert.Equal("VfioPS", page.ModuleName);
        Assert.Equal("en-US", page.Metadata["Locale"]);
        Assert.Equal("2024-05-01", page.Metadata["PlatyPS schema version"]);
        Assert.Equal(name, page.Metadata["title"]);
        Assert.True(page.HasCmdletBinding, "### CommonParameters is missing");
        Assert.DoesNotMatch(@"TODO|\{\{", File.ReadAllText(page.Path));
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void EveryPageHasTheSectionsAPowerShellUserExpects(string name)
    {
        var page = Page(name);
        // A synopsis is a sentence, not the syntax PowerShell generates when help is missing.
        Assert.Matches(@"^[A-Z][^\n]*\.$", page.Synopsis);
        Assert.DoesNotContain(name, page.Synopsis);
        Assert.DoesNotContain("[-", page.Synopsis);
        Assert.True(page.Description.Length >= 200, $"{name}: the description has {page.Description.Length} characters");
        Assert.True(page.Examples.Count >= 2, $"{name} has {page.Examples.Count} examples");
        foreach (var example in page.Examples)
        {
            Assert.Matches(@"^Example \d+: \S", example.Title);
            Assert.Contains("```powershell", example.Remarks);
        }
        Assert.All(page.Parameters, p => Assert.True(p.Description.Length >= 20, $"-{p.Name} of {name} has no real description"));
        // PlatyPS keeps the yaml's default and accepted values out of the MAML, so Get-Help shows them only in prose.
        foreach (var p in page.Parameters)
        {
            string text = p.Description.ToLowerInvariant();
            if (p.ParameterSets.Any(s => s.ValueFromPipeline || s.ValueFromPipelineByPropertyName))
                Assert.True(text.Contains("pipeline") || text.Contains("property name"), $"{name} -{p.Name} takes pipeline input but does not say how");
            if (!p.ParameterSets.Any(s => s.IsRequired) && !p.Type.EndsWith("SwitchParameter", StringComparison.Ordinal))
                Assert.True(Regex.IsMatch(text, "default|when omitted|without"), $"{name} -{p.Name} is optional but its description gives no default");
            foreach (string value in p.AcceptedValues)
                Assert.True(p.Description.Contains(value, StringComparison.Ordinal), $"{name} -{p.Name} does not describe its accepted value {value}");
        }
        Assert.NotEmpty(page.Inputs);
        Assert.NotEmpty(page.Outputs);
        Assert.All(page.Inputs.Concat(page.Outputs), io => Assert.NotEqual("", io.Description));
        Assert.NotEqual("", page.Notes);
        Assert.Contains(page.RelatedLinks, l => l.LinkText == "about_VfioPS");
        foreach (var link in page.RelatedLinks.Where(l => l.Uri.EndsWith(".md", StringComparison.Ordinal)))
            Assert.True(File.Exists(Path.Combine(Help.DocsDirectory, link.Uri)), $"{name} links to {link.Uri}, which is not in docs/");
    }

    [Fact]
    public void TheCommittedMamlIsWhatPlatyPSWritesForDocs()
    {
        Assert.True(File.Exists(Help.MamlPath), "en-US/VfioPS.dll-Help.xml is missing");
        string committed = File.ReadAllText(Help.MamlPath);
        Assert.True(committed == Help.GenerateMaml(),
            "en-US/VfioPS.dll-Help.xml is out of date with docs/: run `dotnet run --project VfioPS.Docs -- maml` (or ./build.ps1 -Task Docs with PlatyPS).");
    }

    [Fact]
    public void TheMamlAndTheDocsHaveTheSameCommandsSynopsesParametersAndParameterSets()
    {
        var maml = MamlReader.Read(Help.MamlPath).ToDictionary(c => c.Name);
        Assert.Equal(Help.Commands.Select(c => c.Title).OrderBy(n => n), maml.Keys.OrderBy(n => n));
        foreach (var page in Help.Commands)
        {
            var command = maml[page.Title];
            Assert.Equal(page.Synopsis, command.Synopsis);
            // PlatyPS 1.0.3: the description is one paragraph, the page's lines with their line breaks and blank lines.
            Assert.Equal(new[] { page.Description }, command.Description);
            Assert.Equal(page.Parameters.Select(p => p.Name), command.Parameters.Select(p => p.Name));
            foreach (var (documented, written) in page.Parameters.Zip(command.Parameters))
            {
                Assert.Equal(documented.Type, written.Type);
                Assert.Equal(documented.ParameterSets.Any(s => s.IsRequired), written.Required);
                Assert.Equal(documented.ParameterSets[0].Position, written.Position);
                Assert.Equal(documented.SupportsWildcards, written.Globbing);
                Assert.Equal(documented.AcceptedValues, written.AcceptedValues);
                // A parameter's paragraphs are split at blank lines and keep their line breaks.
                Assert.Equal(documented.Description.Split("\n\n").Select(p => p.Trim()), written.Description);
                bool byValue = documented.ParameterSets.Any(s => s.ValueFromPipeline), byName = documented.ParameterSets.Any(s => s.ValueFromPipelineByPropertyName);
                Assert.Equal(byValue || byName, written.PipelineInput.StartsWith("true", StringComparison.Ordinal));
                Assert.Equal(byValue, written.PipelineInput.Contains("ByValue", StringComparison.Ordinal));
                Assert.Equal(byName, written.PipelineInput.Contains("ByPropertyName", StringComparison.Ordinal));
            }
            // One syntax item per parameter set, with the set's parameters, mandatory ones marked.
            Assert.Equal(page.Syntax.Count, command.SyntaxItems.Count);
            foreach (var (block, item) in page.Syntax.Zip(command.SyntaxItems))
            {
                var setName = block.ParameterSetName == "__AllParameterSets" ? "(All)" : block.ParameterSetName;
                var inSet = page.Parameters.Where(p => p.ParameterSets.Any(s => s.Name == setName || s.Name == "(All)")).ToList();
                Assert.Equal(inSet.Select(p => p.Name).OrderBy(n => n), item.Select(p => p.Name).OrderBy(n => n));
                foreach (var parameter in item)
                {
                    var set = inSet.Single(p => p.Name == parameter.Name).ParameterSets.First(s => s.Name == setName || s.Name == "(All)");
                    Assert.Equal(set.IsRequired, parameter.Required);
                }
            }
            Assert.Equal(page.Examples.Select(e => $"--------- {e.Title} ---------"), command.Examples.Select(e => e.Title));
            // An example's chunks (split at blank lines) with a paragraph of U+0080 between them.
            foreach (var (example, written) in page.Examples.Zip(command.Examples))
                Assert.Equal(example.Remarks.Split("\n\n").Select(c => c.Trim()).SelectMany((c, i) => i == 0 ? new[] { c } : new[] { "\u0080", c }), written.Paragraphs);
            Assert.Equal(page.Inputs.Select(i => i.TypeName), command.InputTypes);
            Assert.Equal(page.Outputs.Select(o => o.TypeName), command.ReturnTypes);
        }
    }

    [Fact]
    public void TheModulePageListsEveryCmdletWithItsSynopsis()
    {
        var module = Help.ModulePage;
        Assert.NotNull(module);
        Assert.Equal("module", module.Metadata["document type"]);
        Assert.Equal("VfioPS", module.Metadata["Module Name"]);
        Assert.Equal("2024-05-01", module.Metadata["PlatyPS schema version"]);
        Assert.Equal(Regex.Match(File.ReadAllText(Path.Combine(Repo.Root, "VfioPS.psd1")), @"GUID\s*=\s*'([^']+)'").Groups[1].Value, module.Metadata["Module Guid"]);
        Assert.True(module.Description.Length >= 100);
        Assert.Equal(Help.Commands.Select(c => c.Title).OrderBy(n => n, StringComparer.Ordinal), module.Commands.Select(c => c.Name));
        foreach (var (name, link, synopsis) in module.Commands)
        {
            Assert.Equal(name + ".md", link);
            Assert.Equal(Page(name).Synopsis, synopsis);
        }
    }

    [Fact]
    public void TheMamlWriterWritesWhatPlatyPSWritesForAWorkedExample()
    {
        // TestData/Get-Widget.md and the MAML that the released PlatyPS 1.0.3 writes for it (Measure-PlatyPSMarkdown |
        // Import-MarkdownCommandHelp | Export-MamlCommandHelp, file kept as written): two parameter sets, a switch,
        // accepted values, aliases, pipeline input, two examples, an online link. The writer must give the same bytes.
        string data = Path.Combine(Repo.Root, "VfioPS.Tests", "Engine", "TestData");
        var page = CommandHelpMarkdownReader.Read(Path.Combine(data, "Get-Widget.md"));
        Assert.Empty(page.Errors);
        string exported = File.ReadAllText(Path.Combine(data, "Get-Widget.maml.xml"));
        Assert.Equal(exported, MamlWriter.Write(new[] { page }));

        // 1.0.3's paragraph rules, as the fixture shows them.
        var widget = MamlReader.Parse(exported).Single();
        Assert.Equal(new[] { "The `Get-Widget` cmdlet gets widgets from the\nwidget store.\n\nUse **Detailed** to include extended properties." }, widget.Description);
        Assert.Equal(new[] { "Specifies one or more widget names.\nWildcards are permitted.", "If omitted, all widgets are returned." },
            widget.Parameters.Single(p => p.Name == "Name").Description);
        Assert.Equal(new[] { "```powershell\nGet-Widget\n```", "\u0080", "This command gets all widgets." }, widget.Examples[0].Paragraphs);
        Assert.Contains("<maml:para>&#x80;</maml:para>", exported, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSyntaxReaderFollowsPlatyPS()
    {
        var parameters = SyntaxParameter.Parse("Set-X [-Device] <A[]> [[-Index] <B>] -EventFd <C[]> [-Start <uint>] -Unmask [-PassThru]\n [<CommonParameters>]");
        Assert.Equal(new[]
        {
            new SyntaxParameter("Device", "A[]", true, "0"),
            new SyntaxParameter("Index", "B", false, "1"),
            new SyntaxParameter("EventFd", "C[]", true, "named"),
            new SyntaxParameter("Start", "uint", false, "named"),
            new SyntaxParameter("Unmask", null, true, "named"),
            new SyntaxParameter("PassThru", null, false, "named"),
        }, parameters);
    }

    [Fact]
    public void APageWithoutAHeadingsBlankLineLosesTheLineAsPlatyPSDoes()
    {
        // PlatyPS drops the line just above the next heading; the reader must do the same so the MAML agrees.
        var page = CommandHelpMarkdownReader.Parse(string.Join("\n",
            "---", "document type: cmdlet", "external help file: X.dll-Help.xml", "HelpUri: ''", "Locale: en-US", "Module Name: X",
            "ms.date: 01/01/2026", "PlatyPS schema version: 2024-05-01", "title: Get-X", "---", "", "# Get-X", "", "## SYNOPSIS", "",
            "Gets x.", "", "## SYNTAX", "", "### __AllParameterSets", "", "```", "Get-X [<CommonParameters>]", "```", "", "## ALIASES", "",
            "## DESCRIPTION", "", "First line.", "Lost line.", "## EXAMPLES", "", "### Example 1: One", "", "```powershell", "Get-X", "```", "",
            "## PARAMETERS", "", "### CommonParameters", "", "Common.", "", "## INPUTS", "", "## OUTPUTS", "", "## NOTES", "", "## RELATED LINKS", ""));
        Assert.Equal("First line.", page.Description);
        Assert.Equal("Gets x.", page.Synopsis);
        Assert.Single(page.Examples);
        Assert.Equal("```powershell\nGet-X\n```", page.Examples[0].Remarks);
    }
}
