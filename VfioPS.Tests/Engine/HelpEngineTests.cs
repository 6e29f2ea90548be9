using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;
using VfioPS.Docs;
using VfioPS.Docs.Examples;
using VfioPS.Docs.Markdown;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>
/// The help as PowerShell serves it (Get-Help on the built module, which reads en-US/VfioPS.dll-Help.xml) and the
/// documented parameters against the real cmdlets (Get-Command), both ways.
/// </summary>
public sealed class HelpEngineTests(ModuleFixture module) : IClassFixture<ModuleFixture>
{
    private static readonly HelpSet Help = HelpSet.Load(Repo.Root);

    // The common parameters as PlatyPS 1.x leaves them out of the pages (WhatIf and Confirm are documented).
    private static readonly HashSet<string> CommonParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "Debug", "ErrorAction", "ErrorVariable", "InformationAction", "InformationVariable", "OutBuffer", "OutVariable",
        "PipelineVariable", "ProgressAction", "Verbose", "WarningAction", "WarningVariable",
    };

    private static readonly Dictionary<string, string> Abbreviations = new()
    {
        ["System.String"] = "string", ["System.Int32"] = "int", ["System.UInt32"] = "uint", ["System.Double"] = "double",
        ["System.Boolean"] = "bool", ["System.Guid"] = "guid", ["System.Int64"] = "long", ["System.UInt64"] = "ulong",
    };

    public static TheoryData<string> Cmdlets() => HelpSourceTests.Pages();

    private CmdletInfo Command(string name)
        => (CmdletInfo)module.Run($"Get-Command -Name {name} -Module VfioPS").Single().BaseObject;

    [Fact]
    public void EveryExportedCmdletHasAPageAndEveryPageAnExportedCmdlet()
    {
        var exported = module.Run("Get-Command -Module VfioPS").Select(c => ((CommandInfo)c.BaseObject).Name).OrderBy(n => n);
        Assert.Equal(exported, Help.Commands.Select(c => c.Title).OrderBy(n => n));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void TheDocumentedParametersAreTheCmdletsParameters(string name)
    {
        var command = Command(name);
        var page = Help.Commands.Single(c => c.Title == name);
        var real = command.Parameters.Values.Where(p => !CommonParameters.Contains(p.Name)).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(real.Select(p => p.Name), page.Parameters.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        foreach (var parameter in real)
        {
            var documented = page.Parameters.Single(p => p.Name == parameter.Name);
            string where = $"{name} -{parameter.Name}";
            Assert.True(TypeName(parameter.ParameterType) == documented.Type, $"{where}: Type {documented.Type}, the cmdlet has {TypeName(parameter.ParameterType)}");
            Assert.Equal(parameter.Aliases.OrderBy(a => a), documented.Aliases.OrderBy(a => a));
            Assert.Equal(parameter.Attributes.OfType<SupportsWildcardsAttribute>().Any(), documented.SupportsWildcards);
            Assert.Equal(parameter.Attributes.OfType<ParameterAttribute>().Any(a => a.DontShow), documented.DontShow);
            Assert.Equal(AcceptedValues(parameter), documented.AcceptedValues);
            var sets = parameter.ParameterSets.Select(kv => (Name: kv.Key == "__AllParameterSets" ? "(All)" : kv.Key, Set: kv.Value)).OrderBy(s => s.Name).ToList();
            Assert.Equal(sets.Select(s => s.Name), documented.ParameterSets.Select(s => s.Name).OrderBy(n => n));
            foreach (var (setName, set) in sets)
            {
                var doc = documented.ParameterSets.Single(s => s.Name == setName);
                Assert.True(doc.Position == (set.Position == int.MinValue ? "Named" : set.Position.ToString()), $"{where} in {setName}: Position {doc.Position}");
                Assert.True(doc.IsRequired == set.IsMandatory, $"{where} in {setName}: IsRequired {doc.IsRequired}");
                Assert.True(doc.ValueFromPipeline == set.ValueFromPipeline, $"{where} in {setName}: ValueFromPipeline {doc.ValueFromPipeline}");
                Assert.True(doc.ValueFromPipelineByPropertyName == set.ValueFromPipelineByPropertyName, $"{where} in {setName}: ValueFromPipelineByPropertyName");
                Assert.Equal(set.ValueFromRemainingArguments, doc.ValueFromRemainingArguments);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void TheSyntaxBlocksAreTheCmdletsParameterSets(string name)
    {
        var command = Command(name);
        var page = Help.Commands.Single(c => c.Title == name);
        var expected = command.ParameterSets.Select(s => (s.Name, s.IsDefault && command.ParameterSets.Count > 1, Syntax(name, s))).ToList();
        Assert.Equal(expected, page.Syntax.Select(b => (b.ParameterSetName, b.IsDefault, b.Text)).ToList());
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void GetHelpShowsASynopsisADescriptionEveryParameterAndTwoExamples(string name)
    {
        var help = module.Run($"Get-Help -Name {name} -Full").Single();
        string synopsis = ((string)help.Properties["Synopsis"].Value).Trim();
        Assert.NotEqual("", synopsis);
        Assert.DoesNotContain("[-", synopsis);                      // the generated synopsis is the syntax
        Assert.False(synopsis.StartsWith(name, StringComparison.Ordinal), $"{name}: the synopsis is the generated one: {synopsis}");
        Assert.Equal(Help.Commands.Single(c => c.Title == name).Synopsis, synopsis);

        string description = Text(module.Run($"(Get-Help -Name {name} -Full).description | ForEach-Object Text"));
        Assert.True(description.Length >= 200, $"{name}: Get-Help shows a description of {description.Length} characters");

        var command = Command(name);
        foreach (var parameter in command.Parameters.Values.Where(p => !CommonParameters.Contains(p.Name)))
        {
            string text = Text(module.Run($"(Get-Help -Name {name} -Parameter {parameter.Name}).description | ForEach-Object Text"));
            Assert.True(text.Length >= 20, $"{name} -{parameter.Name}: Get-Help shows no description");
        }

        int examples = module.Run($"@((Get-Help -Name {name} -Full).examples.example).Count").Single().BaseObject is int n ? n : -1;
        Assert.True(examples >= 2, $"{name}: Get-Help shows {examples} examples");

        var outputs = module.Run($"(Get-Help -Name {name} -Full).returnValues.returnValue | ForEach-Object {{ $_.type.name }}").Select(o => o.ToString()).ToList();
        foreach (var type in command.OutputType) Assert.Contains(type.Name, outputs);
    }

    /// <summary>
    /// What Get-Help shows of the paragraphs PlatyPS 1.0.3 writes: the description as the page has it (one paragraph,
    /// line breaks and blank lines kept), each parameter paragraph, and each example's chunks with a paragraph of
    /// U+0080 (1.0.3's separator) between them. On a console that separator is a line of its own holding only
    /// U+0080; no other control character reaches the page, and every line of the description starts a line.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void GetHelpShowsThePagesTextWithItsLineBreaksAndTheExampleSeparatorOnItsOwnLine(string name)
    {
        var page = Help.Commands.Single(c => c.Title == name);
        Assert.Equal(new[] { page.Description }, Texts($"(Get-Help -Name {name} -Full).description"));
        foreach (var parameter in page.Parameters)
            Assert.Equal(parameter.Description.Split("\n\n").Select(p => p.Trim()), Texts($"(Get-Help -Name {name} -Parameter {parameter.Name}).description"));
        int separators = 0;
        for (int i = 0; i < page.Examples.Count; i++)
        {
            string[] chunks = page.Examples[i].Remarks.Split("\n\n").Select(c => c.Trim()).ToArray();
            var expected = chunks.SelectMany((c, j) => j == 0 ? new[] { c } : new[] { "\u0080", c });
            Assert.Equal(expected, Texts($"@((Get-Help -Name {name} -Full).examples.example)[{i}].introduction"));
            separators += chunks.Length - 1;
        }

        var (shown, errors, _) = module.Render($"Get-Help -Name {name} -Full");
        Assert.Equal("", errors);
        var lines = shown.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        Assert.Equal(separators, lines.Count(l => l.Contains('\u0080', StringComparison.Ordinal)));
        Assert.All(lines.Where(l => l.Contains('\u0080', StringComparison.Ordinal)), l => Assert.Equal("    \u0080", l));
        var junk = shown.Where(c => c != '\n' && c != '\r' && c != '\u0080' && char.IsControl(c)).Distinct().ToList();
        Assert.True(junk.Count == 0, $"{name}: Get-Help shows control characters {string.Join(", ", junk.Select(c => $"U+{(int)c:X4}"))}");
        // A 120-column console wraps a long line, but each line of the page starts a line of its own.
        foreach (string line in page.Description.Split('\n').Where(l => l.Length > 0))
            Assert.Contains(lines, l => l.StartsWith("    " + line[..Math.Min(line.Length, 100)], StringComparison.Ordinal));
    }

    /// <summary>
    /// The worked example that PlatyPS 1.0.3 exported (TestData/Get-Widget.maml.xml), served by Get-Help for a
    /// function that points at it: the description and a parameter paragraph keep their line breaks, a blank line
    /// starts a new paragraph, and the example separator is a line of its own holding only U+0080.
    /// </summary>
    [Fact]
    public void GetHelpKeepsTheLineBreaksOfAParameterParagraphAsPlatyPS103WritesIt()
    {
        string maml = System.IO.Path.Combine(Repo.Root, "VfioPS.Tests", "Engine", "TestData", "Get-Widget.maml.xml");
        module.Run("function global:Get-Widget {\n<#\n.ExternalHelp " + maml + "\n#>\n[CmdletBinding(DefaultParameterSetName = 'ByName')]\n" +
            "param([Parameter(ParameterSetName = 'ByName', Position = 0)][string[]] $Name, [Parameter(ParameterSetName = 'ById', Mandatory)][int] $Id,\n" +
            "[string] $Category, [switch] $Detailed)\n}");
        Assert.Equal(new[] { "Specifies one or more widget names.\nWildcards are permitted.", "If omitted, all widgets are returned." },
            Texts("(Get-Help -Name Get-Widget -Parameter Name).description"));
        Assert.Equal(new[] { "The `Get-Widget` cmdlet gets widgets from the\nwidget store.\n\nUse **Detailed** to include extended properties." },
            Texts("(Get-Help -Name Get-Widget -Full).description"));
        var (rendered, errors, _) = module.Render("Get-Help -Name Get-Widget -Full");
        Assert.Equal("", errors);
        string shown = rendered.Replace("\r", "", StringComparison.Ordinal);
        Assert.Contains("DESCRIPTION\n    The `Get-Widget` cmdlet gets widgets from the\n    widget store.\n    \n    Use **Detailed** to include extended properties.\n",
            shown, StringComparison.Ordinal);
        Assert.Contains("    -Name <System.String[]>\n        Specifies one or more widget names.\n        Wildcards are permitted.\n        \n" +
            "        If omitted, all widgets are returned.\n", shown, StringComparison.Ordinal);
        Assert.Contains("    ```powershell\n    Get-Widget\n    ```\n    \u0080\n    This command gets all widgets.\n", shown, StringComparison.Ordinal);
    }

    /// <summary>
    /// Get-Help prints the page's prose with the page's line breaks (description, parameters, inputs, outputs, notes,
    /// the examples' prose), so the pages must be wrapped to fit a 120-column console. Out-Default there writes at most
    /// 119 columns a line (the console's last column is kept free) and breaks a longer line where the columns run out,
    /// mid-word. The help is rendered on a 120-column host, as a console shows it, and on a 4000-column host, where no
    /// line is broken: every line of the wide rendering must fit in 119 columns and be shown whole at 120. Left out are
    /// the example code and output blocks (the tests compare them with real output) and SYNTAX, which Get-Help builds
    /// from the parameter sets as one line per set whatever the page says.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void GetHelpFitsA120ColumnConsoleOutsideTheExampleCodeAndOutput(string name)
    {
        const int Columns = 120, Writable = Columns - 1;
        var (rendered, errors, _) = module.Render($"Get-Help -Name {name} -Full");
        Assert.Equal("", errors);
        var shown = rendered.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToHashSet(StringComparer.Ordinal);
        Assert.True(shown.Max(l => l.Length) <= Writable, $"{name}: the 120-column host wrote a line of more than {Writable} columns");

        using var wideOutput = new System.IO.StringWriter();
        using var wideErrors = new System.IO.StringWriter();
        using (var wide = new VfioPS.Runner.ModuleSession(Repo.Manifest, wideOutput, wideErrors, width: 4000))
            wide.RunRendered($"Get-Help -Name {name} -Full");
        Assert.Equal("", wideErrors.ToString());

        var failures = new List<string>();
        string section = "", part = "";
        bool fenced = false;
        foreach (string line in wideOutput.ToString().Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal)) { fenced = !fenced; continue; }
            if (fenced) continue;
            if (line.Length > 0 && line[0] != ' ') { (section, part) = (line, ""); continue; }
            var title = System.Text.RegularExpressions.Regex.Match(line, @"^    -{3,} (\S.*) -{3,}$");
            if (title.Success) (section, part) = ("EXAMPLES", title.Groups[1].Value);
            if (section is "PARAMETERS" or "INPUTS" or "OUTPUTS" && line.Length > 4 && line[4] != ' ') part = line.Trim();
            if (section == "SYNTAX") continue;
            if (line.Length > Writable || !shown.Contains(line))
                failures.Add($"{name} {section}{(part.Length > 0 ? " (" + part + ")" : "")}: {line.Length} columns: {line.TrimStart()}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} lines of Get-Help -Full do not fit a {Columns}-column console " +
            $"({Writable} columns with the indentation):\n" + string.Join("\n", failures));
    }

    /// <summary>The Text of each paragraph object the script gives (Get-Help ends all but the last with a newline).</summary>
    private List<string> Texts(string script)
        => module.Run(script + " | ForEach-Object Text").Select(o => (o?.ToString() ?? "").TrimEnd('\n')).ToList();

    [Fact]
    public void GetHelpFindsTheAboutTopicOnceTheModuleIsImported()
    {
        string topic = Text(module.Run("Get-Help -Name about_VfioPS"));
        Assert.Contains("about_VfioPS", topic);
        foreach (string section in new[] { "IRQ INDEXES", "cap_offset", "THE LOOPBACK MOCK DEVICE", "vfio-mock-profile.schema.json",
                     "REAL DEVICES", "/dev/vfio", "RELEASING A DEVICE THE HOST WANTS BACK", "AUTOMATION RECIPES", "-Confirm:$false", "ConvertTo-Json", "TROUBLESHOOTING" })
            Assert.Contains(section, topic);
    }

    [Fact]
    public void TheAboutTopicExplainsEveryErrorIdTheModuleWrites()
    {
        // Every id the module's source can write is listed under TROUBLESHOOTING.
        string topic = System.IO.File.ReadAllText(System.IO.Path.Combine(Repo.Root, "en-US", "about_VfioPS.help.txt"));
        // Every "Vfio..."/"Mock..." string literal of the module is an error id unless it names a type or a cmdlet noun.
        var sources = System.IO.Directory.GetFiles(System.IO.Path.Combine(Repo.Root, "VfioPS"), "*.cs", System.IO.SearchOption.AllDirectories)
            .Select(System.IO.File.ReadAllText).ToList();
        var names = sources.SelectMany(s => System.Text.RegularExpressions.Regex.Matches(s, @"(?:class|record|enum|struct|interface) (\w+)|Cmdlet\(Verbs\w+\.\w+, ""(\w+)""")
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)).ToHashSet();
        var ids = sources.SelectMany(s => System.Text.RegularExpressions.Regex.Matches(s, @"""((?:Vfio|Mock)[A-Z][A-Za-z]+)""").Select(m => m.Groups[1].Value))
            .Where(id => !names.Contains(id) && id != "VfioPS").Distinct().ToList();
        Assert.True(ids.Count >= 30, $"only {ids.Count} error ids found in the source");
        Assert.All(ids, id => Assert.Contains(id, topic));
    }

    /// <summary>
    /// The lane an example is marked for (by words in its prose) must be the lane its code needs: cmdlets the bare
    /// engine lacks mean pwsh; the real-device cmdlets, a PCI address, or an mdev parent or UUID mean a host with real devices.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EveryExampleIsMarkedForTheLaneItsCodeNeeds(string name)
    {
        foreach (var example in DocExample.From(Help.Commands.Single(c => c.Title == name)))
        {
            Assert.False(string.IsNullOrWhiteSpace(example.Code), $"{example.Id} has no ```powershell block");
            var ast = Parser.ParseInput(example.Code, out _, out ParseError[] errors);
            Assert.True(errors.Length == 0, $"{example.Id} does not parse: {string.Join("; ", errors.Select(e => e.Message))}");
            var commands = ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>().Select(c => c.GetCommandName()).Where(n => n is not null).Distinct().ToList();
            bool missing = commands.Any(c => !module.Run($"@(Get-Command -Name '{c}' -ErrorAction SilentlyContinue).Count").Single().BaseObject.Equals(1));
            // A mediated device is named by its parent (the lane's seed_mdev) or by its UUID.
            bool real = commands.Any(c => c is "Get-VfioDevice" or "Open-VfioDevice")
                || System.Text.RegularExpressions.Regex.IsMatch(example.Code, @"\b[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\b")
                || System.Text.RegularExpressions.Regex.IsMatch(example.Code, @"\bseed_mdev\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b");
            var expected = real ? ExampleLane.RealDevice : missing ? ExampleLane.Pwsh : ExampleLane.Mock;
            Assert.True(expected == example.Lane, $"{example.Id} is marked {example.Lane} but its code needs {expected} (commands: {string.Join(", ", commands)})");
            if (example.Lane == ExampleLane.RealDevice)
                Assert.True(example.Output is not null, $"{example.Id} runs on real devices: show the output the real-kernel lane gives");
        }
    }

    private static string Text(IEnumerable<PSObject> objects) => string.Join("\n", objects.Select(o => o?.ToString() ?? "")).Trim();

    private static string[] AcceptedValues(ParameterMetadata parameter)
    {
        var set = parameter.Attributes.OfType<ValidateSetAttribute>().FirstOrDefault();
        if (set is not null) return set.ValidValues.ToArray();
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        return type.IsEnum ? Enum.GetNames(type) : Array.Empty<string>();
    }

    /// <summary>The yaml Type PlatyPS writes: the full name, generics as Name`N[Arg,...].</summary>
    private static string TypeName(Type type)
    {
        if (!type.IsGenericType) return type.FullName ?? type.Name;
        string definition = type.GetGenericTypeDefinition().FullName!;
        return definition[..definition.IndexOf('`')] + "`" + type.GetGenericArguments().Length + "[" + string.Join(",", type.GenericTypeArguments.Select(t => t.FullName)) + "]";
    }

    /// <summary>The syntax type PlatyPS writes: abbreviated, nullable unwrapped, arrays kept.</summary>
    private static string SyntaxType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsArray) return SyntaxType(type.GetElementType()!) + "[]";
        return Abbreviations.TryGetValue(type.FullName!, out var abbreviation) ? abbreviation : type.Name;
    }

    /// <summary>A parameter set as PlatyPS's New-MarkdownCommandHelp writes it (SyntaxItem.ToStringWithWrap).</summary>
    private static string Syntax(string name, CommandParameterSetInfo set)
    {
        var parameters = set.Parameters.Where(p => !CommonParameters.Contains(p.Name)).ToList();
        var ordered = parameters.Where(p => p.Position != int.MinValue).OrderBy(p => p.Position)
            .Concat(parameters.Where(p => p.Position == int.MinValue && p.IsMandatory))
            .Concat(parameters.Where(p => p.Position == int.MinValue && !p.IsMandatory));
        var text = new StringBuilder();
        var line = new StringBuilder(name);
        foreach (var p in ordered)
        {
            bool isSwitch = p.ParameterType == typeof(SwitchParameter), positional = p.Position != int.MinValue;
            string type = SyntaxType(p.ParameterType);
            string token = isSwitch ? (p.IsMandatory ? $"-{p.Name}" : $"[-{p.Name}]")
                : p.IsMandatory ? (positional ? $"[-{p.Name}] <{type}>" : $"-{p.Name} <{type}>")
                : positional ? $"[[-{p.Name}] <{type}>]" : $"[-{p.Name} <{type}>]";
            if (line.Length + token.Length + 1 > 100) { text.Append(line).Append('\n'); line.Clear(); }
            line.Append(' ').Append(token);
        }
        text.Append(line);
        if (line.Length + 21 > 100) text.Append('\n');
        text.Append(" [<CommonParameters>]");
        return text.ToString();
    }
}
