using System.Collections.Generic;

namespace VfioPS.Docs.Markdown;

/// <summary>
/// One cmdlet's help as PlatyPS 1.x's Import-MarkdownCommandHelp reads it: every text is the raw markdown of its
/// section (PlatyPS renders nothing), which is also what ends up in the MAML.
/// </summary>
public sealed class CommandHelp
{
    public required string Path { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required string Title { get; init; }
    public required string Synopsis { get; init; }
    public required IReadOnlyList<SyntaxBlock> Syntax { get; init; }
    public required string Description { get; init; }
    public required IReadOnlyList<HelpExample> Examples { get; init; }
    public required IReadOnlyList<HelpParameter> Parameters { get; init; }
    public required bool HasCmdletBinding { get; init; }
    public required IReadOnlyList<HelpInputOutput> Inputs { get; init; }
    public required IReadOnlyList<HelpInputOutput> Outputs { get; init; }
    public required string Notes { get; init; }
    public required IReadOnlyList<HelpLink> RelatedLinks { get; init; }
    /// <summary>What PlatyPS's reader would report as diagnostics of severity Error (the file is still read).</summary>
    public required IReadOnlyList<string> Errors { get; init; }

    public string ExternalHelpFile => Metadata.TryGetValue("external help file", out var file) ? file : "";
    public string ModuleName => Metadata.TryGetValue("Module Name", out var name) ? name : "";
    public string? HelpUri => Metadata.TryGetValue("HelpUri", out var uri) ? uri : null;
}

/// <summary>One parameter set's syntax block: the set name from its heading and the syntax line(s) as written.</summary>
public sealed record SyntaxBlock(string ParameterSetName, bool IsDefault, string Text)
{
    /// <summary>The command name: the syntax text up to the first space.</summary>
    public string CommandName => Text.Split(' ', 2)[0];

    /// <summary>The parameters as PlatyPS tokenises the syntax text (positions numbered in order of appearance).</summary>
    public IReadOnlyList<SyntaxParameter> Parameters => SyntaxParameter.Parse(Text);
}

/// <summary>A parameter of a syntax line: name, the type as written (null for a switch), mandatory, position.</summary>
public sealed record SyntaxParameter(string Name, string? TypeName, bool IsMandatory, string Position)
{
    public bool IsSwitch => TypeName is null;
    public bool IsPositional => Position != "named";

    /// <summary>
    /// PlatyPS's reading of a Get-Command -Syntax style line: [[-P] &lt;t&gt;] optional positional, [-P] &lt;t&gt;
    /// mandatory positional, [-P &lt;t&gt;] optional named, -P &lt;t&gt; mandatory named, [-S] / -S switches.
    /// </summary>
    public static IReadOnlyList<SyntaxParameter> Parse(string syntax)
    {
        var result = new List<SyntaxParameter>();
        string[] parts = syntax.Split(' ', 2);
        if (parts.Length < 2) return result;
        var tokens = new List<string>();
        foreach (string token in parts[1].Split(new[] { ' ', '\n', '\r' }, System.StringSplitOptions.RemoveEmptyEntries))
            if (!token.Contains("CommonParameters", System.StringComparison.Ordinal)) tokens.Add(token);
        int position = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            string? type = i + 1 < tokens.Count && tokens[i + 1].StartsWith('<') ? tokens[i + 1] : null;
            if (type is not null) i++;
            string name = token.TrimStart('[').TrimStart('-').TrimEnd(']');
            string? typeName = null;
            if (type is not null)
            {
                string closed = type.EndsWith(">]", System.StringComparison.Ordinal) ? type[..^1] : type;
                typeName = closed.Length >= 2 ? closed[1..^1] : closed;
            }
            bool optional = token.StartsWith('[');
            bool positional = type is not null && (token.StartsWith("[[-", System.StringComparison.Ordinal)
                || (token.StartsWith("[-", System.StringComparison.Ordinal) && token.EndsWith(']')));
            bool mandatory = positional ? !token.StartsWith("[[", System.StringComparison.Ordinal) : !optional;
            result.Add(new SyntaxParameter(name, typeName, mandatory, positional ? (position++).ToString(System.Globalization.CultureInfo.InvariantCulture) : "named"));
        }
        return result;
    }
}

public sealed record HelpExample(string Title, string Remarks);

public sealed record HelpInputOutput(string TypeName, string Description);

public sealed record HelpLink(string LinkText, string Uri);

/// <summary>A parameter: its description (raw markdown) and the v2 yaml block.</summary>
public sealed class HelpParameter
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required string Type { get; init; }
    public string DefaultValue { get; init; } = "";
    public bool SupportsWildcards { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = new List<string>();
    public IReadOnlyList<HelpParameterSet> ParameterSets { get; init; } = new List<HelpParameterSet>();
    public bool DontShow { get; init; }
    public IReadOnlyList<string> AcceptedValues { get; init; } = new List<string>();
    public string HelpMessage { get; init; } = "";
}

public sealed class HelpParameterSet
{
    public string Name { get; set; } = "";
    public string Position { get; set; } = "Named";
    public bool IsRequired { get; set; }
    public bool ValueFromPipeline { get; set; }
    public bool ValueFromPipelineByPropertyName { get; set; }
    public bool ValueFromRemainingArguments { get; set; }
}
