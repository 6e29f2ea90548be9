using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using YamlDotNet.Serialization;

namespace VfioPS.Docs.Markdown;

/// <summary>
/// Reads a cmdlet page the way PlatyPS 1.x's Import-MarkdownCommandHelp does (schema 2024-05-01): Markdig finds the
/// headings and blocks, and each section's text is the raw source lines between them - trimmed at the end of each
/// line, joined with \n, trimmed - never rendered. Like PlatyPS, the line just above the next heading (or above a
/// parameter's yaml fence) is not part of a section; pages keep a blank line there.
/// </summary>
public static class CommandHelpMarkdownReader
{
    private static readonly string[] RequiredMetadata =
        { "external help file", "Locale", "Module Name", "ms.date", "HelpUri", "PlatyPS schema version", "title" };

    public static CommandHelp Read(string path) => Parse(File.ReadAllText(path), path);

    public static CommandHelp Parse(string text, string path = "")
    {
        string[] lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var document = Markdig.Markdown.Parse(string.Join("\n", lines));
        var blocks = document.ToList();
        var errors = new List<string>();

        var metadata = ReadFrontMatter(lines, path);
        foreach (string key in RequiredMetadata)
            if (!metadata.ContainsKey(key)) errors.Add($"not found '{key}'");

        var title = blocks.OfType<HeadingBlock>().FirstOrDefault(h => h.Level == 1)
            ?? throw new InvalidDataException($"{path}: no '# Title' heading.");
        string titleText = InlineText(title).Split(' ')[0];

        int synopsis = FindHeader(blocks, 2, "SYNOPSIS", 0);
        int syntax = FindHeader(blocks, 2, "SYNTAX", Math.Max(synopsis, 0));
        int description = FindHeader(blocks, 2, "DESCRIPTION", Math.Max(syntax, 0));
        int examples = FindHeader(blocks, 2, "EXAMPLES", Math.Max(description, 0));
        int parameters = FindHeaderExact(blocks, 2, "PARAMETERS", Math.Max(examples, 0));
        int inputs = FindHeader(blocks, 2, "INPUTS", Math.Max(parameters, 0));
        int outputs = FindHeader(blocks, 2, "OUTPUTS", Math.Max(inputs, 0));
        int notes = FindHeader(blocks, 2, "NOTES", Math.Max(outputs, 0));
        int links = FindHeader(blocks, 2, "RELATED LINKS", Math.Max(notes, 0));
        foreach (var (index, name) in new[] { (synopsis, "SYNOPSIS"), (syntax, "SYNTAX"), (description, "DESCRIPTION"), (examples, "EXAMPLES"),
                     (parameters, "PARAMETERS"), (inputs, "INPUTS"), (outputs, "OUTPUTS"), (notes, "NOTES") })
            if (index < 0) errors.Add($"## {name} not found");

        string synopsisText = synopsis >= 0 && syntax >= 0 ? Between(lines, blocks, synopsis, syntax) : "";
        if (synopsisText.Length == 0) errors.Add("## SYNOPSIS is empty");

        var parameterList = parameters >= 0 ? ReadParameters(lines, blocks, parameters, errors) : new List<HelpParameter>();
        return new CommandHelp
        {
            Path = path,
            Metadata = metadata,
            Title = titleText,
            Synopsis = synopsisText,
            Syntax = syntax >= 0 ? ReadSyntax(blocks, syntax) : Array.Empty<SyntaxBlock>(),
            Description = description >= 0 && examples >= 0 ? Between(lines, blocks, description, examples) : "",
            Examples = examples >= 0 && parameters >= 0 ? ReadExamples(lines, blocks, examples, parameters) : Array.Empty<HelpExample>(),
            Parameters = parameterList.OrderBy(p => p.Name, StringComparer.InvariantCulture).ToList(),
            HasCmdletBinding = blocks.OfType<HeadingBlock>().Any(h => h.Level == 3 && InlineText(h) == "CommonParameters"),
            Inputs = inputs >= 0 ? ReadInputOutput(lines, blocks, inputs) : Array.Empty<HelpInputOutput>(),
            Outputs = outputs >= 0 ? ReadInputOutput(lines, blocks, outputs) : Array.Empty<HelpInputOutput>(),
            Notes = notes >= 0 && links >= 0 && links != notes + 1 ? Between(lines, blocks, notes, links) : "",
            RelatedLinks = links >= 0 ? ReadLinks(blocks, links) : Array.Empty<HelpLink>(),
            Errors = errors,
        };
    }

    /// <summary>The front matter between the first two '---' lines, read as YAML.</summary>
    internal static Dictionary<string, string> ReadFrontMatter(string[] lines, string path)
    {
        if (lines.Length == 0 || lines[0].Trim() != "---") throw new InvalidDataException($"No metadata found in {path}");
        int end = Array.FindIndex(lines, 1, l => l.Trim() == "---");
        if (end < 0) throw new InvalidDataException($"No metadata found in {path}");
        var yaml = new DeserializerBuilder().Build()
            .Deserialize<Dictionary<string, object?>>(string.Join("\n", lines[1..end])) ?? new Dictionary<string, object?>();
        return yaml.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "");
    }

    internal static string InlineText(LeafBlock block)
    {
        if (block.Inline is null) return "";
        var text = new System.Text.StringBuilder();
        foreach (var inline in block.Inline) AppendInline(text, inline);
        return text.ToString().Trim();
    }

    private static void AppendInline(System.Text.StringBuilder text, Inline inline)
    {
        switch (inline)
        {
            case LiteralInline literal: text.Append(literal.Content.ToString()); break;
            case CodeInline code: text.Append(code.Content); break;
            case LineBreakInline: text.Append(' '); break;
            case ContainerInline container:
                foreach (var child in container) AppendInline(text, child);
                break;
        }
    }

    /// <summary>The first inline's text, as PlatyPS's FindHeader compares it (case-insensitive).</summary>
    private static string FirstInlineText(HeadingBlock heading)
        => heading.Inline?.FirstChild is LiteralInline literal ? literal.Content.ToString().Trim() : InlineText(heading);

    private static int FindHeader(List<Block> blocks, int level, string title, int start)
    {
        for (int i = start; i < blocks.Count; i++)
            if (blocks[i] is HeadingBlock h && h.Level == level && string.Equals(FirstInlineText(h), title, StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }

    // The end of the examples is found with a case-sensitive match in PlatyPS.
    private static int FindHeaderExact(List<Block> blocks, int level, string title, int start)
    {
        for (int i = start; i < blocks.Count; i++)
            if (blocks[i] is HeadingBlock h && h.Level == level && FirstInlineText(h) == title) return i;
        return -1;
    }

    /// <summary>Raw lines from the block after <paramref name="from"/> up to (not including) the line above block <paramref name="to"/>.</summary>
    private static string Between(string[] lines, List<Block> blocks, int from, int to)
    {
        if (to <= from + 1) return "";
        return RawLines(lines, blocks[from + 1].Line, blocks[to].Line - 1);
    }

    /// <summary>The line of the first heading at or after block <paramref name="from"/> (of any level), or the end of the file.</summary>
    private static int LineOfNextHeading(string[] lines, List<Block> blocks, int from)
    {
        for (int i = from; i < blocks.Count; i++)
            if (blocks[i] is HeadingBlock) return blocks[i].Line;
        return lines.Length;
    }

    internal static string RawLines(string[] lines, int first, int endExclusive)
    {
        if (endExclusive <= first) return "";
        return string.Join("\n", lines[first..Math.Min(endExclusive, lines.Length)].Select(l => l.TrimEnd())).Trim();
    }

    private static IReadOnlyList<SyntaxBlock> ReadSyntax(List<Block> blocks, int syntax)
    {
        var result = new List<SyntaxBlock>();
        for (int i = syntax + 1; i < blocks.Count && !(blocks[i] is HeadingBlock { Level: <= 2 }); i++)
        {
            if (blocks[i] is not HeadingBlock { Level: 3 } heading || i + 1 >= blocks.Count || blocks[i + 1] is not FencedCodeBlock code) continue;
            string name = InlineText(heading);
            bool isDefault = name.EndsWith("(Default)", StringComparison.Ordinal);
            if (isDefault) name = name[..^"(Default)".Length].Trim();
            result.Add(new SyntaxBlock(name, isDefault, code.Lines.ToString().Trim()));
        }
        return result;
    }

    private static IReadOnlyList<HelpExample> ReadExamples(string[] lines, List<Block> blocks, int examples, int parameters)
    {
        var result = new List<HelpExample>();
        for (int i = examples + 1; i < parameters; i++)
        {
            if (blocks[i] is not HeadingBlock heading) continue;
            string title = lines[heading.Line].Length > 4 ? lines[heading.Line][4..].Trim() : "";
            int end = LineOfNextHeading(lines, blocks, i + 1);
            string remarks = i + 1 < blocks.Count && blocks[i + 1] is not HeadingBlock ? RawLines(lines, blocks[i + 1].Line, end) : "";
            result.Add(new HelpExample(title, remarks));
        }
        return result;
    }

    private static List<HelpParameter> ReadParameters(string[] lines, List<Block> blocks, int parameters, List<string> errors)
    {
        var result = new List<HelpParameter>();
        for (int i = parameters + 1; i < blocks.Count && !(blocks[i] is HeadingBlock { Level: <= 2 }); i++)
        {
            if (blocks[i] is not HeadingBlock { Level: 3 } heading) continue;
            string name = InlineText(heading).TrimStart('-');
            if (name is "CommonParameters" or "WorkflowCommonParameters") continue;
            int yaml = -1;
            for (int j = i + 1; j < blocks.Count && blocks[j] is not HeadingBlock; j++)
                if (blocks[j] is FencedCodeBlock f && (f.Info ?? "").StartsWith("yaml", StringComparison.Ordinal)) { yaml = j; break; }
            if (yaml < 0) { errors.Add($"-{name}: no yaml block"); continue; }
            string description = yaml > i + 1 ? RawLines(lines, blocks[i + 1].Line, blocks[yaml].Line - 1) : "";
            ParameterMetadataV2 metadata;
            try
            {
                metadata = new DeserializerBuilder().IgnoreUnmatchedProperties().Build()
                    .Deserialize<ParameterMetadataV2>(((FencedCodeBlock)blocks[yaml]).Lines.ToString()) ?? new ParameterMetadataV2();
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                errors.Add($"-{name}: YAML Parse Failure: {e.Message}");
                continue;
            }
            result.Add(new HelpParameter
            {
                Name = name,
                Description = description,
                Type = metadata.Type ?? "",
                DefaultValue = metadata.DefaultValue ?? "",
                SupportsWildcards = metadata.SupportsWildcards,
                Aliases = metadata.Aliases ?? new List<string>(),
                ParameterSets = metadata.ParameterSets ?? new List<HelpParameterSet>(),
                DontShow = metadata.DontShow,
                AcceptedValues = metadata.AcceptedValues ?? new List<string>(),
                HelpMessage = metadata.HelpMessage ?? "",
            });
        }
        return result;
    }

    private static IReadOnlyList<HelpInputOutput> ReadInputOutput(string[] lines, List<Block> blocks, int section)
    {
        var result = new List<HelpInputOutput>();
        for (int i = section + 1; i < blocks.Count && !(blocks[i] is HeadingBlock { Level: <= 2 }); i++)
        {
            if (blocks[i] is not HeadingBlock heading) continue;
            string description = "";
            if (i + 1 < blocks.Count && blocks[i + 1] is ParagraphBlock paragraph)
                description = RawLines(lines, paragraph.Line, LineOfNextHeading(lines, blocks, i + 1));
            result.Add(new HelpInputOutput(InlineText(heading), description));
        }
        return result;
    }

    private static IReadOnlyList<HelpLink> ReadLinks(List<Block> blocks, int section)
    {
        var result = new List<HelpLink>();
        int i = section + 1;
        for (; i < blocks.Count && blocks[i] is ParagraphBlock paragraph; i++)
            foreach (var link in paragraph.Inline?.OfType<LinkInline>() ?? Enumerable.Empty<LinkInline>())
                result.Add(ToLink(link));
        if (i < blocks.Count && blocks[i] is ListBlock list)
            foreach (var link in list.Descendants<LinkInline>())
                result.Add(ToLink(link));
        return result;
    }

    private static HelpLink ToLink(LinkInline link)
        => new(link.FirstChild is LiteralInline literal ? literal.Content.ToString() : link.FirstChild?.ToString() ?? "", link.Url ?? "");

    /// <summary>The v2 parameter yaml block (PascalCase keys, as PlatyPS's ParameterMetadataV2).</summary>
    public sealed class ParameterMetadataV2
    {
        public string? Type { get; set; }
        public string? DefaultValue { get; set; }
        public bool SupportsWildcards { get; set; }
        public List<string>? Aliases { get; set; }
        public List<HelpParameterSet>? ParameterSets { get; set; }
        public bool DontShow { get; set; }
        public List<string>? AcceptedValues { get; set; }
        public string? HelpMessage { get; set; }
    }
}
